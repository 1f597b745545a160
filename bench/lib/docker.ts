// The "raw" side of the comparison: the Docker Engine's own builders and `docker push`, with no Slipway.
// The installed docker CLI has no buildx, so a BuildKit build goes straight to the Engine API with curl
// (POST /build?version=2, the tar context as the body), the way `docker buildx` would drive it.
import { randomUUID } from 'node:crypto';
import { exec, execOk } from './exec.js';

const API_VERSION = 'v1.41';

export interface RawTimings {
  buildMs: number;
  /** Until the Engine's first answer byte: upload of the tar, then whatever the Engine does before BuildKit reports. */
  firstByteMs?: number;
  pushMs: number;
  totalMs: number;
  digest: string;
}

/** Packs `dir` with tar, streams it to the Engine's BuildKit and returns the image id. */
export async function engineBuild(socket: string, dir: string, image: string, platform: string): Promise<{ ms: number; firstByteMs: number; imageId: string }> {
  const query = new URLSearchParams({ version: '2', t: image, platform, dockerfile: 'Dockerfile', buildid: randomUUID() });
  const res = await execOk([
    ['tar', ['-C', dir, '-cf', '-', '.']],
    ['curl', ['-sS', '--fail', '--unix-socket', socket, '-X', 'POST', '-H', 'Content-Type: application/x-tar', '--data-binary', '@-', '--no-buffer', `http://localhost/${API_VERSION}/build?${query}`]],
  ]);
  let imageId: string | undefined;
  for (const line of res.stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { id?: string; aux?: { ID?: string }; error?: string; errorDetail?: { message?: string } };
    if (msg.error) throw new Error(`raw BuildKit build of ${image} failed: ${msg.errorDetail?.message ?? msg.error}`);
    if (msg.id === 'moby.image.id' && msg.aux?.ID) imageId = msg.aux.ID;
  }
  if (!imageId) throw new Error(`raw BuildKit build of ${image} ended without an image id`);
  // The Engine answers with its first status message: everything before is upload plus its own preparation.
  return { ms: res.ms, firstByteMs: res.firstOutputMs, imageId };
}

/** `DOCKER_BUILDKIT=0 docker build`: the legacy builder, for reference. */
export async function legacyBuild(dir: string, image: string): Promise<{ ms: number }> {
  const res = await execOk([['docker', ['build', '-q', '-t', image, dir]]], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  return { ms: res.ms };
}

/** `docker push`; returns the manifest digest the registry stored. */
export async function dockerPush(image: string): Promise<{ ms: number; digest: string }> {
  const res = await execOk([['docker', ['push', image]]]);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(res.stdout)?.[1];
  if (!digest) throw new Error(`docker push ${image} printed no digest: ${res.stdout.slice(-500)}`);
  return { ms: res.ms, digest };
}

export async function rawBuildAndPush(socket: string, dir: string, image: string, platform: string): Promise<RawTimings> {
  const started = performance.now();
  const build = await engineBuild(socket, dir, image, platform);
  const push = await dockerPush(image);
  return { buildMs: build.ms, firstByteMs: build.firstByteMs, pushMs: push.ms, totalMs: performance.now() - started, digest: push.digest };
}

export async function legacyBuildAndPush(dir: string, image: string): Promise<RawTimings> {
  const started = performance.now();
  const build = await legacyBuild(dir, image);
  const push = await dockerPush(image);
  return { buildMs: build.ms, pushMs: push.ms, totalMs: performance.now() - started, digest: push.digest };
}

/** Removes local tags; the layers go with the last tag. Failures are ignored: this is cleanup. */
export async function removeLocalImages(images: readonly string[]): Promise<void> {
  for (let i = 0; i < images.length; i += 50) await exec([['docker', ['rmi', '-f', ...images.slice(i, i + 50)]]]);
}
