// Target platforms: parsing `os/arch[/variant]` strings the way buildx accepts them, and the set Slipway builds.
import { BadInputError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Platforms a Slipway worker can serve: natively, under QEMU, or (windows) on a Windows host or daemonless. */
export const SUPPORTED_PLATFORMS = ['linux/amd64', 'linux/arm64', 'windows/amd64'] as const;
export type SupportedPlatform = (typeof SUPPORTED_PLATFORMS)[number];

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', x86: '386', aarch64: 'arm64' };
const PART = /^[a-z0-9_]{1,32}$/;

/** Parses and normalises one platform string (`linux/amd64`, `linux/arm64/v8`, `amd64`). */
export function parsePlatform(input: string): Platform {
  const text = input.trim().toLowerCase();
  const parts = text.split('/');
  if (!text || parts.length > 3 || parts.some((p) => !PART.test(p))) {
    throw new BadInputError(
      `invalid platform ${JSON.stringify(input.slice(0, 100))}: expected os/arch[/variant], e.g. linux/amd64`,
      'invalid_platform',
    );
  }
  let [os, arch, variant] = parts.length === 1 ? ['linux', parts[0]!, undefined] : [parts[0]!, parts[1]!, parts[2]];
  arch = ARCH_ALIASES[arch] ?? arch;
  // arm64's only variant is v8, which buildx drops when normalising.
  if (arch === 'arm64' && variant === 'v8') variant = undefined;
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Parses a platform and checks that Slipway builds it. */
export function parseSupportedPlatform(input: string): SupportedPlatform {
  const name = formatPlatform(parsePlatform(input));
  if (!(SUPPORTED_PLATFORMS as readonly string[]).includes(name)) {
    throw new BadInputError(
      `unsupported platform ${name}: Slipway builds ${SUPPORTED_PLATFORMS.join(', ')}`,
      'unsupported_platform',
    );
  }
  return name as SupportedPlatform;
}

/** The platform of this machine, as Docker names it. */
export function nativePlatform(arch: string = process.arch, os: string = process.platform): string {
  const architecture = arch === 'x64' ? 'amd64' : arch;
  return `${os === 'win32' ? 'windows' : os}/${architecture}`;
}

/** Parses a `--platform` value: one platform or a comma-separated list, normalised, without repeats, in the given order. */
export function parsePlatformList(input: string): SupportedPlatform[] {
  const names = input.split(',').map((p) => p.trim());
  if (names.some((n) => n === '')) {
    throw new BadInputError(`invalid platform list ${JSON.stringify(input.slice(0, 100))}: expected os/arch[,os/arch…], e.g. linux/amd64,linux/arm64`, 'invalid_platform');
  }
  return [...new Set(names.map(parseSupportedPlatform))];
}
