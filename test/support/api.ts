// Small HTTP helpers for tests that talk to the API the way any client would.
import { createHash } from 'node:crypto';
import { sseBatches } from './sse.js';

/** The token each test API (by origin) is called with: startTestStack registers its admin token here. */
const tokens = new Map<string, string>();

export function useToken(apiUrl: string, token: string): void {
  tokens.set(new URL(apiUrl).origin, token);
}

/** The Authorization header for a URL of a registered test API; none for any other URL. */
export function authHeaders(url: string): Record<string, string> {
  const token = tokens.get(new URL(url).origin);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** fetch with the test API's token: what every test calls the API with, unless it tests refusals. */
export function apiFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...authHeaders(url), ...(init.headers as Record<string, string> | undefined) } });
}

export interface RunBody {
  id: string;
  status: string;
  error?: string;
  outputImages: { registry: string; repository: string; tag: string; digest: string }[];
  [key: string]: unknown;
}

export async function uploadContext(url: string, archive: Buffer): Promise<{ status: number; body: any }> {
  const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  const res = await apiFetch(`${url}/v1/contexts`, { method: 'POST', headers: { 'content-type': 'application/gzip', 'x-slipway-digest': digest }, body: new Uint8Array(archive) });
  return { status: res.status, body: await res.json() };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any; location: string | null }> {
  const res = await apiFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), location: res.headers.get('location') };
}

/** The run's record; an error answer throws with its status and body, rather than reading as a run without fields. */
export async function getRun(url: string, id: string): Promise<RunBody> {
  const res = await apiFetch(`${url}/v1/runs/${id}`);
  if (!res.ok) throw new Error(`GET /v1/runs/${id} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as RunBody;
}

const TERMINAL = ['succeeded', 'failed', 'canceled', 'timeout', 'error'];
const finished = (r: RunBody) => TERMINAL.includes(r.status);

/**
 * The run once `until` holds (by default: once it has finished), following its log as any client would
 * (GET /v1/runs/:id/logs?follow=1). The stream's `end` event says the run is over, and a GET then reads the
 * final record; any other condition is checked again whenever the stream sends something (log lines, the
 * API's keep-alives). A stream that closes early (an API restart) is followed again from its last event.
 */
export async function waitForRun(url: string, id: string, until: (r: RunBody) => boolean = finished, timeoutMs = 180_000): Promise<RunBody> {
  const signal = AbortSignal.timeout(timeoutMs);
  let run = await getRun(url, id);
  let lastEventId: string | undefined;
  try {
    while (!until(run)) {
      if (finished(run)) throw new Error(`run ${id} ended ${run.status} without the state waited for${run.error ? ` (${run.error})` : ''}`);
      const res = await apiFetch(`${url}/v1/runs/${id}/logs?follow=1`, { headers: lastEventId ? { 'last-event-id': lastEventId } : {}, signal });
      if (!res.ok || !res.body) throw new Error(`following the log of run ${id}: HTTP ${res.status} ${await res.text()}`);
      for await (const batch of sseBatches(res.body)) {
        for (const event of batch) lastEventId = event.id ?? lastEventId;
        const ended = batch.some((e) => e.type === 'end');
        if (!ended && until === finished) continue;
        run = await getRun(url, id);
        if (ended || until(run)) break;
      }
      run = await getRun(url, id);
    }
    return run;
  } catch (err) {
    if (signal.aborted) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    throw err;
  }
}

/** The first line of a run's log that matches `pattern`, as the live log (SSE) delivers it. */
export async function waitForLogLine(url: string, id: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await apiFetch(`${url}/v1/runs/${id}/logs?follow=1`, { signal });
    if (!res.ok || !res.body) throw new Error(`following the log of run ${id}: HTTP ${res.status} ${await res.text()}`);
    for await (const batch of sseBatches(res.body)) {
      for (const event of batch) {
        if (event.type === 'log' && pattern.test(event.data)) return event.data;
        if (event.type === 'end') throw new Error(`run ${id} ended ${(JSON.parse(event.data) as RunBody).status} with no log line matching ${pattern}`);
      }
    }
    throw new Error(`the log of run ${id} closed with no line matching ${pattern}`);
  } catch (err) {
    if (signal.aborted) throw new Error(`no log line of run ${id} matched ${pattern} within ${timeoutMs} ms`);
    throw err;
  }
}

export async function runLog(url: string, id: string): Promise<string> {
  return (await apiFetch(`${url}/v1/runs/${id}/logs`)).text();
}

/** Submits a context and a run in one go. */
export async function submit(url: string, archive: Buffer, run: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const up = await uploadContext(url, archive);
  if (up.status >= 300) throw new Error(`upload failed: ${JSON.stringify(up.body)}`);
  return postJson(`${url}/v1/runs`, { context: up.body.digest, ...run });
}

/** The manifest digest the registry serves for a tag, read with a HEAD as any client would. */
export async function registryDigest(registry: string, repository: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' },
  });
  return res.ok ? res.headers.get('docker-content-digest') : null;
}

/** The image config a tag's manifest points at, read from the registry (manifest → config blob) as a pulling client would. */
export async function registryImageConfig(registry: string, repository: string, tag: string): Promise<{ config?: { Labels?: Record<string, string> | null } }> {
  const manifest = await fetch(`http://${registry}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (!manifest.ok) throw new Error(`manifest ${repository}:${tag}: HTTP ${manifest.status}`);
  const { config } = (await manifest.json()) as { config: { digest: string } };
  const blob = await fetch(`http://${registry}/v2/${repository}/blobs/${config.digest}`);
  if (!blob.ok) throw new Error(`config blob ${config.digest}: HTTP ${blob.status}`);
  return (await blob.json()) as { config?: { Labels?: Record<string, string> | null } };
}
