// Summaries of timing samples: nearest-rank percentiles, so every reported percentile is a measured value.

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The middle value, or the mean of the two middle values of an even count. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? (sorted[mid - 1]! + sorted[mid]!) / 2 : sorted[Math.floor(mid)]!;
}

export function summarize(samples: readonly number[]): Summary {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: samples.length,
    min: round(Math.min(...samples)),
    p50: round(percentile(samples, 50)),
    p90: round(percentile(samples, 90)),
    p99: round(percentile(samples, 99)),
    max: round(Math.max(...samples)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

/** Medians of each key across samples that have it; keys missing everywhere are left out. */
export function medianOfEach<K extends string>(rows: readonly Partial<Record<K, number | null>>[]): Partial<Record<K, number>> {
  const keys = new Set(rows.flatMap((r) => Object.keys(r) as K[]));
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const values = rows.map((r) => r[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) out[k] = Math.round(median(values));
  }
  return out;
}
