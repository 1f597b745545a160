// Pieces every page uses: the status badge (a word and a symbol, so it reads without colour), the error note,
// and the page heading that takes the focus when the page changes, for keyboard and screen-reader users.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

const SYMBOLS: Record<string, string> = {
  queued: '○',
  running: '●',
  succeeded: '✓',
  failed: '✗',
  canceled: '⊘',
  timeout: '⏱',
  error: '!',
  skipped: '–',
  held: '○',
  ready: '○',
  dispatching: '●',
  dispatched: '●',
};

export function Status({ value }: { value: string }) {
  return html`<span class="status status-${value}"><span aria-hidden="true">${SYMBOLS[value] ?? '·'} </span>${value}</span>`;
}

export function Problem({ error }: { error: Error | string | undefined }) {
  if (!error) return null;
  return html`<p class="problem" role="alert">${typeof error === 'string' ? error : error.message}</p>`;
}

export function Loading() {
  return html`<p class="muted" role="status">Loading…</p>`;
}

/** The page's h1: focused when the page opens, so a screen reader announces it and Tab starts from here. */
export function Heading({ children }: { children: unknown }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus({ preventScroll: true }), []);
  return html`<h1 tabindex="-1" ref=${ref}>${children}</h1>`;
}

export function Empty({ children }: { children: unknown }) {
  return html`<p class="muted empty">${children}</p>`;
}
