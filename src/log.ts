// Structured logging (pino) and secret masking. A secret is registered the moment it is read and
// every log line, record or message that leaves the process passes through mask().
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = 'info'): Logger {
  return pino({ name, level, formatters: { level: (label) => ({ level: label }) } });
}

/**
 * The shortest secret a run accepts. Masking a shorter one would blank ordinary words all over a log (`***`
 * for every "true" or "admin"), and a value that short is guessed in moments anyway, so masking it would
 * protect nothing. Six keeps short PINs and passwords usable.
 */
export const MIN_SECRET_LENGTH = 6;

/** Why `value` cannot be a secret, or undefined. `what` names it for the message, e.g. `secret build arg TOKEN`. */
export function secretTooShort(what: string, value: string): string | undefined {
  return value.length < MIN_SECRET_LENGTH ? `${what} is shorter than ${MIN_SECRET_LENGTH} characters, too short to be masked in the log; use a longer value, or pass it as a plain value if it is not secret` : undefined;
}

/** Pieces shorter than this (a blank line of a PEM key, a cut-off end) are not masked: they would mangle every line. */
const MIN_MASKED = 3;
/** Columns `base64` (coreutils, busybox) wraps its output at. */
const BASE64_WRAP = 76;

/**
 * Replaces every registered secret with `***` in text: the value itself, each line of a multi-line value (a log
 * shows them one per line, each with its own prefix), and the forms a build is likely to print it in (base64,
 * URL-encoded, JSON-escaped). A line that ends with the start of a secret, or starts with its end, is masked
 * there too: a line cut at a length limit must not show a secret in two halves.
 */
export class SecretMasker {
  private readonly secrets = new Set<string>();
  /** Whole values, for the halves of a cut. */
  private readonly values = new Set<string>();
  private sorted: string[] | undefined;

  add(value: string | undefined): void {
    // Known already: registry clients register a login's password on every call that uses it.
    if (!value || value.length < MIN_MASKED || this.values.has(value)) return;
    this.values.add(value);
    const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
    for (const text of [value, `${value}\n`]) {
      const b64 = Buffer.from(text, 'utf8').toString('base64');
      forms.push(b64, b64.replace(/=+$/, ''), b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
      for (let i = 0; b64.length > BASE64_WRAP && i < b64.length; i += BASE64_WRAP) forms.push(b64.slice(i, i + BASE64_WRAP));
    }
    for (const form of forms) {
      for (const line of form.split(/\r?\n/)) if (line.trim().length >= MIN_MASKED) this.secrets.add(line);
    }
    this.sorted = undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  mask(text: string): string {
    if (this.secrets.size === 0) return text;
    // Longest first, so a secret containing another is masked whole.
    this.sorted ??= [...this.secrets].sort((a, b) => b.length - a.length);
    let out = text;
    for (const s of this.sorted) if (out.includes(s)) out = out.split(s).join('***');
    return this.maskCutEdges(out);
  }

  /**
   * A line's end that is a secret's start, and a line's start that is a secret's end, each at least
   * MIN_SECRET_LENGTH long: shorter halves would match ordinary text far too often, and say little.
   */
  private maskCutEdges(line: string): string {
    let out = line;
    for (const value of this.values) {
      if (out.length < MIN_SECRET_LENGTH || value.length <= MIN_SECRET_LENGTH) continue;
      // The line's last characters inside the value, and from there the value's start as the line's end.
      const tail = out.slice(-MIN_SECRET_LENGTH);
      for (let at = value.indexOf(tail); at !== -1; at = value.indexOf(tail, at + 1)) {
        const head = value.slice(0, at + MIN_SECRET_LENGTH);
        if (head.length < value.length && out.endsWith(head)) {
          out = `${out.slice(0, -head.length)}***`;
          break;
        }
      }
      const lead = out.slice(0, MIN_SECRET_LENGTH);
      for (let at = value.lastIndexOf(lead); at > 0; at = value.lastIndexOf(lead, at - 1)) {
        const rest = value.slice(at);
        if (out.startsWith(rest)) {
          out = `***${out.slice(rest.length)}`;
          break;
        }
      }
    }
    return out;
  }
}
