// What this worker can build: its native platform plus every platform whose binaries the kernel runs
// through a registered, enabled binfmt handler (QEMU). Detected at start, never configured by hand.
import fs from 'node:fs/promises';
import { nativePlatform, parseSupportedPlatform, SUPPORTED_PLATFORMS } from '../src/platforms.js';

/** Debian's qemu-user-static handler names, and the platform each runs. */
const QEMU_HANDLERS: Record<string, string> = { 'qemu-aarch64': 'linux/arm64', 'qemu-arm': 'linux/arm/v7', 'qemu-x86_64': 'linux/amd64' };

export async function detectPlatforms(binfmtDir = '/proc/sys/fs/binfmt_misc', native = nativePlatform()): Promise<string[]> {
  const found = new Set<string>([native]);
  for (const [handler, platform] of Object.entries(QEMU_HANDLERS)) {
    const text = await fs.readFile(`${binfmtDir}/${handler}`, 'utf8').catch(() => '');
    if (runsInContainers(text)) found.add(platform);
  }
  return [...found].filter((p) => (SUPPORTED_PLATFORMS as readonly string[]).includes(p)).sort();
}

/**
 * An enabled handler whose interpreter the kernel opened when it was registered (the F flag): without it
 * the kernel looks for the interpreter inside each build container, where there is none.
 */
function runsInContainers(handler: string): boolean {
  const flags = /^flags:\s*([A-Z]*)\s*$/m.exec(handler)?.[1] ?? '';
  return handler.startsWith('enabled') && flags.includes('F');
}

/** Narrows the detected platforms to those asked for; asking for one this machine cannot build is an error. */
export function choosePlatforms(detected: string[], wanted: string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return detected;
  const chosen = wanted.map((w) => parseSupportedPlatform(w));
  const missing = chosen.filter((p) => !detected.includes(p));
  if (missing.length) {
    throw new Error(`this worker cannot build ${missing.join(', ')}: it builds ${detected.join(', ') || 'nothing'} (register QEMU binfmt handlers for emulated platforms, with the F flag: scripts/stack.sh up)`);
  }
  return [...new Set(chosen)];
}
