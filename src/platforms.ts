// Target platforms: parsing `os/arch[/variant]` strings the way buildx accepts them, and the set Slipway builds.
import { BadInputError } from './errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Platforms a Slipway worker can serve: natively, under QEMU, or (windows) on a Windows host or daemonless. */
export const SUPPORTED_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'windows/amd64'] as const;
export type SupportedPlatform = (typeof SUPPORTED_PLATFORMS)[number];

// containerd's platforms.Normalize, which buildx and BuildKit apply: other names of an architecture, some
// of which imply the variant (Debian's armhf is ARMv7, armel ARMv6).
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  x86: { architecture: '386' },
  i386: { architecture: '386' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  armv7l: { architecture: 'arm', variant: 'v7' },
};
const PART = /^[a-z0-9_]{1,32}$/;

/** Parses and normalises one platform string (`linux/amd64`, `linux/arm64/v8`, `linux/arm`, `amd64`). */
export function parsePlatform(input: string): Platform {
  const text = input.trim().toLowerCase();
  const parts = text.split('/');
  if (!text || parts.length > 3 || parts.some((p) => !PART.test(p))) {
    throw new BadInputError(
      `invalid platform ${JSON.stringify(input.slice(0, 100))}: expected os/arch[/variant], e.g. linux/amd64`,
      'invalid_platform',
    );
  }
  const [os, written, given] = parts.length === 1 ? ['linux', parts[0]!, undefined] : [parts[0]!, parts[1]!, parts[2]];
  const alias = ARCH_ALIASES[written];
  const arch = alias?.architecture ?? written;
  let variant = given ?? alias?.variant;
  // Variants are written with or without their v (arm/7 is arm/v7). arm64's only variant is v8, which is
  // dropped; 32-bit arm without one is ARMv7.
  if (variant !== undefined && /^[0-9]$/.test(variant) && (arch === 'arm' || arch === 'arm64')) variant = `v${variant}`;
  if (arch === 'arm64' && variant === 'v8') variant = undefined;
  if (arch === 'arm' && variant === undefined) variant = 'v7';
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

/** The platform of this machine, as Docker names it; 32-bit arm with the ARM version Node was built for. */
export function nativePlatform(arch: string = process.arch, os: string = process.platform, armVersion: unknown = armVersionOfNode()): string {
  const architecture = arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
  const variant = architecture === 'arm' ? `/v${typeof armVersion === 'string' || typeof armVersion === 'number' ? armVersion : 7}` : '';
  return `${os === 'win32' ? 'windows' : os}/${architecture}${variant}`;
}

function armVersionOfNode(): unknown {
  return (process.config.variables as Record<string, unknown>).arm_version;
}

/** Parses a `--platform` value: one platform or a comma-separated list, normalised, without repeats, in the given order. */
export function parsePlatformList(input: string): SupportedPlatform[] {
  const names = input.split(',').map((p) => p.trim());
  if (names.some((n) => n === '')) {
    throw new BadInputError(`invalid platform list ${JSON.stringify(input.slice(0, 100))}: expected os/arch[,os/arch…], e.g. linux/amd64,linux/arm64`, 'invalid_platform');
  }
  return [...new Set(names.map(parseSupportedPlatform))];
}
