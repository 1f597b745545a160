// Data that stays current: loaded at once, then again every `everyMs` after the previous answer (never two
// requests at a time), until the page leaves. The API has no change stream for lists; a poll of one small
// request every few seconds is what a person watching needs.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | undefined;
  error: Error | undefined;
  /** Loads again now, e.g. after an action changed what is shown. */
  refresh(): void;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, everyMs: number, key: string): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    setData(undefined);
    setError(undefined);
    const tick = async () => {
      if (running || stop.signal.aborted) return;
      running = true;
      clearTimeout(timer);
      try {
        setData(await load(stop.signal));
        setError(undefined);
      } catch (err) {
        if (!stop.signal.aborted) setError(err as Error);
      } finally {
        running = false;
        if (!stop.signal.aborted) timer = setTimeout(() => void tick(), everyMs);
      }
    };
    kick.current = () => void tick();
    void tick();
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
    // `key` names what is loaded: a new key starts over; `load` itself is a new closure at every render.
  }, [key, everyMs]);

  const refresh = useCallback(() => kick.current(), []);
  return { data, error, refresh };
}
