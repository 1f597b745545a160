// The variables a Windows Dockerfile's words can use: ARGs (build args override their defaults, global ones
// feed FROM) and the image's environment (base ENV, then ENV instructions). Names compare case-insensitively,
// as Windows environment names do; ENV wins over an ARG of the same name, as Docker's reference says.

/** Automatic platform ARGs (BuildKit's TARGET* / BUILD*), available before FROM and when declared after it. */
export function platformArgs(buildPlatform: { os: string; architecture: string }): Record<string, string> {
  return {
    TARGETPLATFORM: 'windows/amd64',
    TARGETOS: 'windows',
    TARGETARCH: 'amd64',
    TARGETVARIANT: '',
    BUILDPLATFORM: `${buildPlatform.os}/${buildPlatform.architecture}`,
    BUILDOS: buildPlatform.os,
    BUILDARCH: buildPlatform.architecture,
    BUILDVARIANT: '',
  };
}

export function foldName(name: string): string {
  return name.toUpperCase();
}

/** Where an ARG's value came from: a build arg is not written into history (it may be a token). */
export type ArgOrigin = 'build-arg' | 'default' | 'global' | 'unset';

export type Expand = (raw: string, lookup: (name: string) => string | undefined) => string;

export class BuildVariables {
  private readonly env = new Map<string, string>();
  private readonly args = new Map<string, string>();
  /** ARGs declared before FROM (and the automatic ones), by folded name: FROM's scope. */
  private readonly globals = new Map<string, string>();
  private readonly consumed = new Set<string>();

  constructor(
    private readonly buildArgs: Readonly<Record<string, string>>,
    /** The automatic platform ARGs, visible before FROM. */
    automatic: Record<string, string>,
  ) {
    for (const [name, value] of Object.entries(automatic)) this.globals.set(foldName(name), value);
  }

  readonly lookup = (name: string): string | undefined => {
    const key = foldName(name);
    return this.env.get(key) ?? this.args.get(key);
  };

  readonly globalLookup = (name: string): string | undefined => this.globals.get(foldName(name));

  /** Declares an ARG before FROM: a build arg, else its default (substituted in the global scope). */
  declareGlobal(name: string, rawDefault: string | undefined, expand: Expand): void {
    const value = this.buildArg(name) ?? (rawDefault === undefined ? this.globalLookup(name) : expand(rawDefault, this.globalLookup));
    if (value !== undefined) this.globals.set(foldName(name), value);
  }

  setEnv(name: string, value: string): void {
    this.env.set(foldName(name), value);
  }

  /** Declares an ARG after FROM: a build arg, else its default (substituted), else the global one of that name. */
  declareArg(name: string, rawDefault: string | undefined, expand: Expand): { value: string | undefined; origin: ArgOrigin } {
    const key = foldName(name);
    const fromBuildArg = this.buildArg(name);
    let value: string | undefined;
    let origin: ArgOrigin;
    if (fromBuildArg !== undefined) [value, origin] = [fromBuildArg, 'build-arg'];
    else if (rawDefault !== undefined) [value, origin] = [expand(rawDefault, this.lookup), 'default'];
    else if (this.globals.has(key)) [value, origin] = [this.globals.get(key), 'global'];
    else [value, origin] = [undefined, 'unset'];
    if (value === undefined) this.args.delete(key);
    else this.args.set(key, value);
    return { value, origin };
  }

  /** A build arg's value, marking it as used; build arg names are matched exactly, as Docker does. */
  private buildArg(name: string): string | undefined {
    if (!Object.hasOwn(this.buildArgs, name)) return undefined;
    this.consumed.add(name);
    return this.buildArgs[name];
  }

  /** Build args no ARG declared — Docker warns that they "were not consumed". */
  unusedBuildArgs(): string[] {
    return Object.keys(this.buildArgs).filter((name) => !this.consumed.has(name));
  }
}
