// The registry client's requests as a Prometheus histogram, one shape for every process that talks to
// registries. Labels stay few: the registry host (those the host policy lets Slipway reach), the client's
// operation (a fixed set: getManifest, pushBlob, …) and the answer's status class, never a repository or tag.
import { Histogram, type Registry } from 'prom-client';

/** A manifest HEAD on loopback takes milliseconds; a layer upload can take minutes. */
const REGISTRY_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

export type RegistryRequestHistogram = Histogram<'host' | 'operation' | 'code'>;

export function registryRequestHistogram(registers: Registry[]): RegistryRequestHistogram {
  return new Histogram({
    name: 'slipway_registry_request_duration_seconds',
    help: "Registry requests by the registry client, until the answer's headers, by registry host, operation and status class (none: no answer).",
    labelNames: ['host', 'operation', 'code'],
    buckets: REGISTRY_SECONDS,
    registers,
  });
}

/** `2xx`…`5xx`, or `none` when no answer came: a class, so the label has five values at most. */
export function statusClass(status: number | undefined): string {
  return status === undefined || status < 100 || status > 599 ? 'none' : `${Math.floor(status / 100)}xx`;
}
