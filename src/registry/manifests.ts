// Schemas of the four manifest kinds a registry serves, validated at the edge, and their media types.
//   OCI image manifest  https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md
//   OCI image index     https://github.com/opencontainers/image-spec/blob/v1.1.0/image-index.md
//   descriptors         https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md
//   Docker v2 schema 2 and manifest list  https://distribution.github.io/distribution/spec/manifest-v2-2/
// Unknown fields are allowed (the specs say to ignore them); the raw bytes are what gets digested and pushed.
import * as z from 'zod';
import { BadInputError } from '../errors.js';
import { digestProblem } from './reference.js';

export const MediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export type ManifestMediaType =
  | typeof MediaTypes.ociManifest
  | typeof MediaTypes.ociIndex
  | typeof MediaTypes.dockerManifest
  | typeof MediaTypes.dockerManifestList;

const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList];

/** Accept header of manifest requests: every kind we understand, OCI first. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

/** Largest manifest read or pushed (distribution's default limit). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function isManifestMediaType(value: string): value is ManifestMediaType {
  return MANIFEST_MEDIA_TYPES.includes(value);
}

export function isIndexMediaType(value: string): boolean {
  return value === MediaTypes.ociIndex || value === MediaTypes.dockerManifestList;
}

const digest = z.string().refine((d) => digestProblem(d) === undefined, { message: 'not a sha256/sha384/sha512 digest' });
const annotations = z.record(z.string(), z.string());

// https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#properties
export const descriptorSchema = z.object({
  mediaType: z.string().min(1),
  digest,
  size: z.int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: annotations.optional(),
  data: z.string().optional(),
  artifactType: z.string().optional(),
});

// https://github.com/opencontainers/image-spec/blob/v1.1.0/image-index.md#image-index-property-descriptions (platform)
export const platformSchema = z.object({
  architecture: z.string().min(1),
  os: z.string().min(1),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});

export const ociManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.ociManifest).optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});

export const ociIndexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.ociIndex).optional(),
  artifactType: z.string().optional(),
  manifests: z.array(descriptorSchema.extend({ platform: platformSchema.optional() })),
  subject: descriptorSchema.optional(),
  annotations: annotations.optional(),
});

// https://distribution.github.io/distribution/spec/manifest-v2-2/#image-manifest-field-descriptions
export const dockerManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.dockerManifest),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
});

// https://distribution.github.io/distribution/spec/manifest-v2-2/#manifest-list-field-descriptions
export const dockerManifestListSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.literal(MediaTypes.dockerManifestList),
  manifests: z.array(descriptorSchema.extend({ platform: platformSchema })),
});

export type Descriptor = z.infer<typeof descriptorSchema>;
export type Platform = z.infer<typeof platformSchema>;
export type OciManifest = z.infer<typeof ociManifestSchema>;
export type OciIndex = z.infer<typeof ociIndexSchema>;
export type DockerManifest = z.infer<typeof dockerManifestSchema>;
export type DockerManifestList = z.infer<typeof dockerManifestListSchema>;

/** A validated manifest, tagged with its media type so `body` narrows on `mediaType`. */
export type ParsedManifest =
  | { mediaType: typeof MediaTypes.ociManifest; body: OciManifest }
  | { mediaType: typeof MediaTypes.ociIndex; body: OciIndex }
  | { mediaType: typeof MediaTypes.dockerManifest; body: DockerManifest }
  | { mediaType: typeof MediaTypes.dockerManifestList; body: DockerManifestList };

export class InvalidManifestError extends BadInputError {
  override name = 'InvalidManifestError';
  constructor(message: string) {
    super(message, 'invalid_manifest');
  }
}

/**
 * Validates manifest bytes. The media type comes from the body's `mediaType`, else from `contentType`
 * (the Content-Type answered, or the one a caller pushes with), else from the shape (OCI allows omitting it).
 */
export function parseManifest(raw: Uint8Array, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    throw new InvalidManifestError('manifest is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidManifestError('manifest is not a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj['schemaVersion'] === 1) throw new InvalidManifestError('schema 1 manifests are not supported');

  const declared = typeof obj['mediaType'] === 'string' ? obj['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim().toLowerCase();
  if (declared !== undefined && header !== undefined && isManifestMediaType(header) && declared !== header) {
    throw new InvalidManifestError(`manifest says mediaType ${JSON.stringify(declared.slice(0, 100))} but was labelled ${header}`);
  }
  const mediaType = declared ?? (header && isManifestMediaType(header) ? header : 'manifests' in obj ? MediaTypes.ociIndex : MediaTypes.ociManifest);

  switch (mediaType) {
    case MediaTypes.ociManifest:
      return { mediaType, body: validate(ociManifestSchema, obj, mediaType) };
    case MediaTypes.ociIndex:
      return { mediaType, body: validate(ociIndexSchema, obj, mediaType) };
    case MediaTypes.dockerManifest:
      return { mediaType, body: validate(dockerManifestSchema, obj, mediaType) };
    case MediaTypes.dockerManifestList:
      return { mediaType, body: validate(dockerManifestListSchema, obj, mediaType) };
    default:
      throw new InvalidManifestError(`unsupported manifest media type ${JSON.stringify(mediaType.slice(0, 100))}`);
  }
}

function validate<T>(schema: z.ZodType<T>, value: unknown, mediaType: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
  throw new InvalidManifestError(`invalid ${mediaType}: ${issues}`);
}
