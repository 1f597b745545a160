// Pushes an image from the Docker daemon to a registry by digest, with no tag: the daemon's own push
// needs a tag, and a multi-platform run must leave no temporary tags behind. The image is read with
// `docker save`, each layer gzipped once into the workspace, and streamed from there through the registry client.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import * as z from 'zod';
import { DigestMeter } from '../../../src/digest-meter.js';
import type { RegistryClient } from '../../../src/registry/client.js';
import { digestOf } from '../../../src/registry/digest.js';
import { MediaTypes } from '../../../src/registry/manifests.js';
import type { ImageReference } from '../../../src/registry/reference.js';
import type { PushedManifest } from '../image-builder.js';

const SaveManifest = z.array(z.object({ Config: z.string(), Layers: z.array(z.string()) })).min(1);
const ImageConfig = z.object({ os: z.string(), architecture: z.string(), variant: z.string().optional(), 'os.version': z.string().optional() }).passthrough();

interface Layer {
  file: string;
  digest: string;
  size: number;
}

export async function pushImageByDigest(docker: Docker, registry: RegistryClient, imageId: string, targets: ImageReference[], workdir: string): Promise<PushedManifest> {
  const dir = await fs.mkdtemp(path.join(workdir, 'export-'));
  try {
    const { config, layers } = await saveImage(docker, imageId, dir);
    const platform = ImageConfig.parse(JSON.parse(config.toString('utf8')));
    const configDigest = digestOf(config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaTypes.dockerManifest,
        config: { mediaType: MediaTypes.dockerConfig, size: config.length, digest: configDigest },
        layers: layers.map((l) => ({ mediaType: MediaTypes.dockerLayerGzip, size: l.size, digest: l.digest })),
      }),
    );
    let digest = '';
    for (const target of targets) {
      const repo = { registry: target.registry, repository: target.repository };
      if (!(await registry.blobExists(repo, configDigest))) await registry.pushBlob(repo, config);
      for (const layer of layers) {
        await registry.pushBlobFile(repo, layer.file, layer.digest, layer.size);
      }
      digest = await registry.putManifest(repo, manifest, MediaTypes.dockerManifest);
    }
    return {
      digest,
      mediaType: MediaTypes.dockerManifest,
      size: manifest.length,
      platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}), ...(platform['os.version'] ? { 'os.version': platform['os.version'] } : {}) },
    };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Reads `docker save` of one image: its config bytes and its layers, gzipped to files, in order. */
async function saveImage(docker: Docker, imageId: string, dir: string): Promise<{ config: Buffer; layers: Layer[] }> {
  const archive = (await docker.getImage(imageId).get()) as unknown as Readable;
  const small = new Map<string, Buffer>();
  const layerFiles = new Map<string, Layer>();
  const extract = tar.extract();
  let n = 0;
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '');
    if (header.type !== 'file') {
      stream.resume();
      return next();
    }
    if (name.endsWith('.tar')) {
      const file = path.join(dir, `layer-${n++}.tar.gz`);
      const meter = new DigestMeter();
      pipeline(stream, createGzip({ level: 6 }), meter, createWriteStream(file))
        .then(() => {
          layerFiles.set(name, { file, digest: meter.digest(), size: meter.size });
          next();
        })
        .catch(next);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      small.set(name, Buffer.concat(chunks));
      next();
    });
    stream.on('error', next);
  });
  await pipeline(archive, extract);
  const saved = SaveManifest.parse(JSON.parse(small.get('manifest.json')?.toString('utf8') ?? 'null'))[0]!;
  const config = small.get(saved.Config);
  if (!config) throw new Error(`docker save of ${imageId} has no config ${saved.Config}`);
  const layers = saved.Layers.map((name) => {
    const layer = layerFiles.get(name);
    if (!layer) throw new Error(`docker save of ${imageId} has no layer ${name}`);
    return layer;
  });
  return { config, layers };
}

