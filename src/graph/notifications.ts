// The CNCF distribution registry's notification envelope (docs/notifications.md in distribution/distribution):
// each event names an action, a target (media type, digest, repository, tag, url) and the request that
// caused it. Only manifest pushes under a tag change what a tag names; blob pushes, pulls and pushes by
// digest alone do not.
import * as z from 'zod';
import { isManifestMediaType } from '../registry/manifests.js';
import { digestProblem, formatReference, parseImageReference } from '../registry/reference.js';

export const ENVELOPE_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';
const MAX_EVENTS = 1000;

const RegistryEvent = z.object({
  id: z.string().max(200).optional(),
  action: z.string().max(50),
  target: z
    .object({
      mediaType: z.string().max(200).optional(),
      digest: z.string().max(200).optional(),
      repository: z.string().max(255).optional(),
      url: z.string().max(4096).optional(),
      tag: z.string().max(128).optional(),
    })
    .optional(),
  request: z.object({ host: z.string().max(300).optional() }).optional(),
});

export const NotificationEnvelope = z.object({ events: z.array(RegistryEvent).max(MAX_EVENTS) });

export interface TagPush {
  /** Normalised `registry/repository:tag`. */
  image: string;
  /** The manifest (or index) digest the tag now names. */
  digest: string;
  eventId?: string;
}

/** The tag pushes in an envelope; everything else, with the reason, in `ignored`. */
export function tagPushes(envelope: z.infer<typeof NotificationEnvelope>): { pushes: TagPush[]; ignored: string[] } {
  const pushes: TagPush[] = [];
  const ignored: string[] = [];
  for (const [i, event] of envelope.events.entries()) {
    const t = event.target;
    const what = `event ${event.id ?? i}`;
    if (event.action !== 'push') ignored.push(`${what}: action ${event.action}`);
    else if (!t?.mediaType || !isManifestMediaType(t.mediaType)) ignored.push(`${what}: not a manifest push`);
    else if (!t.tag) ignored.push(`${what}: pushed by digest, no tag changed`);
    else if (!t.repository || !t.digest || digestProblem(t.digest)) ignored.push(`${what}: no repository or valid digest`);
    else {
      const host = event.request?.host || hostOf(t.url);
      if (!host) {
        ignored.push(`${what}: no registry host`);
        continue;
      }
      try {
        const image = formatReference(parseImageReference(`${host}/${t.repository}:${t.tag}`));
        pushes.push({ image, digest: t.digest, ...(event.id ? { eventId: event.id } : {}) });
      } catch (err) {
        ignored.push(`${what}: ${(err as Error).message}`);
      }
    }
  }
  return { pushes, ignored };
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
}
