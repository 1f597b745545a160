// The variables a FROM line may use: Docker's automatic platform arguments plus the ARGs declared before the
// first FROM, whose defaults build args override (BuildKit's defaultArgs and buildMetaArgs in dockerfile2llb).
import { BadInputError } from '../errors.js';
import { parsePlatform } from '../platforms.js';
import { DockerfileError, quote } from './errors.js';
import type { MatchBudget } from './glob.js';
import { type Binding, ExpansionError, type WordEnv, expandWord } from './word.js';

/** A name declared by a global `ARG name[=default]`. */
export interface ArgDeclaration {
  name: string;
  /** The default as written (quotes and variables not yet processed). */
  value?: string;
  line: number;
}

const PLATFORM_PARTS = ['OS', 'OSVERSION', 'ARCH', 'VARIANT'] as const;

export class MetaArgs implements WordEnv {
  private readonly bindings = new Map<string, Binding>();
  /** For a tainted name, the unset names its default depends on. */
  private readonly taintedBy = new Map<string, string[]>();
  private readonly declared = new Set<string>();

  lookup(name: string): Binding {
    return this.bindings.get(name) ?? 'unset';
  }

  set(name: string, binding: Binding): void {
    this.bindings.set(name, binding);
  }

  declare(name: string): void {
    this.declared.add(name);
  }

  /** Gives `name` the value BuildKit computes, remembering the unset names it was built from. */
  taint(name: string, value: string, unresolved: Iterable<string>): void {
    const roots = new Set<string>();
    for (const n of unresolved) for (const root of this.taintedBy.get(n) ?? [n]) roots.add(root);
    this.bindings.set(name, { value, tainted: true });
    this.taintedBy.set(name, [...roots].sort());
  }

  /** Why these names have no value, and which build args would give them one. */
  explain(names: Iterable<string>): string {
    const reasons: string[] = [];
    const wanted = new Set<string>();
    const undeclared = new Set<string>();
    for (const name of [...names].sort()) {
      const roots = this.taintedBy.get(name);
      const binding = this.bindings.get(name);
      if (typeof binding === 'object' && binding.tainted && roots) {
        reasons.push(`$${name} is built from ${roots.map((r) => `$${r}`).join(', ')}, which ${roots.length > 1 ? 'have' : 'has'} no value`);
        for (const r of roots) (this.declared.has(r) ? wanted : undeclared).add(r);
      } else if (this.declared.has(name)) {
        reasons.push(`$${name} has no value (its ARG has no default)`);
        wanted.add(name);
      } else {
        reasons.push(`$${name} is not declared by an ARG before the first FROM`);
        undeclared.add(name);
      }
    }
    const hints: string[] = [];
    for (const n of undeclared) hints.push(`declare ARG ${n} before the first FROM`);
    const all = [...wanted, ...undeclared];
    hints.push(`pass ${all.map((n) => `--build-arg ${n}=<value>`).join(' ')}`);
    return `${reasons.join('; ')}: ${hints.join(' and ')}`;
  }
}

/** The platforms of the build, as BuildKit's --platform and the worker give them (not build args). */
export interface BuildPlatforms {
  /** TARGETPLATFORM: the platform being built. */
  target?: string;
  /** BUILDPLATFORM: the platform of the worker that builds. */
  build?: string;
}

export function buildMetaArgs(
  declarations: readonly ArgDeclaration[],
  buildArgs: Readonly<Record<string, string>>,
  platforms: BuildPlatforms,
  targetStage: string,
  escape: string,
  budget: MatchBudget,
): MetaArgs {
  const env = new MetaArgs();
  addPlatformArgs(env, 'BUILD', platforms.build, buildArgs);
  addPlatformArgs(env, 'TARGET', platforms.target, buildArgs);
  env.set('TARGETSTAGE', { value: Object.hasOwn(buildArgs, 'TARGETSTAGE') ? buildArgs.TARGETSTAGE! : targetStage });

  // A global ARG's default replaces even an automatic value (ARG TARGETPLATFORM=linux/arm64 wins over the
  // build's platform); only a build arg of that name wins over the default (BuildKit's buildMetaArgs).
  for (const decl of declarations) {
    env.declare(decl.name);
    if (Object.hasOwn(buildArgs, decl.name)) {
      env.set(decl.name, { value: buildArgs[decl.name]! });
    } else if (decl.value !== undefined) {
      let expansion;
      try {
        expansion = expandWord(decl.value, escape, env, budget);
      } catch (err) {
        if (err instanceof ExpansionError) throw new DockerfileError(`ARG ${decl.name}: ${err.message}`, decl.line);
        throw err;
      }
      if (expansion.unresolved.size > 0) env.taint(decl.name, expansion.value, expansion.unresolved);
      else env.set(decl.name, { value: expansion.value });
    } else if (env.lookup(decl.name) === 'unset') {
      env.set(decl.name, 'unset');
    }
  }
  return env;
}

/**
 * BUILDPLATFORM/TARGETPLATFORM and their parts (BuildKit's defaultArgs): each from the platform, unless a
 * build arg of that very name overrides it. Without the platform, a `…PLATFORM` build arg stands for it and
 * gives the parts too (the way callers passed the platform before); anything still unknown stays symbolic.
 */
function addPlatformArgs(env: MetaArgs, prefix: 'BUILD' | 'TARGET', platform: string | undefined, buildArgs: Readonly<Record<string, string>>): void {
  const platformName = `${prefix}PLATFORM`;
  const given = platform ?? (Object.hasOwn(buildArgs, platformName) ? buildArgs[platformName] : undefined);
  let derived: Record<(typeof PLATFORM_PARTS)[number], string> | undefined;
  if (given !== undefined) {
    let p;
    try {
      p = parsePlatform(given);
    } catch {
      const what = platform !== undefined ? `${prefix === 'BUILD' ? 'build' : 'target'} platform ` : `build arg ${platformName}=`;
      throw new BadInputError(`${what}${quote(given)} is not a platform (expected os/arch[/variant], e.g. linux/amd64)`, 'invalid_build_arg');
    }
    derived = { OS: p.os, OSVERSION: '', ARCH: p.architecture, VARIANT: p.variant ?? '' };
  }
  env.set(platformName, Object.hasOwn(buildArgs, platformName) ? { value: buildArgs[platformName]! } : given !== undefined ? { value: given } : 'symbolic');
  for (const part of PLATFORM_PARTS) {
    const name = `${prefix}${part}`;
    if (Object.hasOwn(buildArgs, name)) env.set(name, { value: buildArgs[name]! });
    else env.set(name, derived ? { value: derived[part] } : 'symbolic');
  }
}
