// What this worker can build: its native platform plus every platform whose binaries the kernel runs
// through a registered, enabled binfmt handler (QEMU). Detected at start, never configured by hand.
import fs from 'node:fs/promises';
import { nativePlatform, parseSupportedPlatform, SUPPORTED_PLATFORMS } from '../src/platforms.js';

const QEMU_HANDLERS: Record<string, string> = { 'qemu-aarch64': 'linux/arm64', 'qemu-x86_64': 'linux/amd64' };

export async function detectPlatforms(binfmtDir = '/proc/sys/fs/binfmt_misc'): Promise<string[]> {
  const found = new Set<string>([nativePlatform()]);
  for (const [handler, platform] of Object.entries(QEMU_HANDLERS)) {
    const text = await fs.readFile(`${binfmtDir}/${handler}`, 'utf8').catch(() => '');
    if (text.startsWith('enabled')) found.add(platform);
  }
  return [...found].filter((p) => (SUPPORTED_PLATFORMS as readonly string[]).includes(p)).sort();
}

/** Narrows the detected platforms to those asked for; asking for one this machine cannot build is an error. */
export function choosePlatforms(detected: string[], wanted: string[] | undefined): string[] {
  if (!wanted || wanted.length === 0) return detected;
  const chosen = wanted.map((w) => parseSupportedPlatform(w));
  const missing = chosen.filter((p) => !detected.includes(p));
  if (missing.length) {
    throw new Error(`this worker cannot build ${missing.join(', ')}: it builds ${detected.join(', ') || 'nothing'} (register QEMU binfmt handlers for emulated platforms)`);
  }
  return [...new Set(chosen)];
}
