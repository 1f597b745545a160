// Structured logging (pino) and secret masking. A secret is registered the moment it is read and
// every log line, record or message that leaves the process passes through mask().
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = 'info'): Logger {
  return pino({ name, level, formatters: { level: (label) => ({ level: label }) } });
}

/** Replaces every registered secret value in text with `***`. Secrets shorter than 3 characters are not masked (they would mangle every line). */
export class SecretMasker {
  private readonly secrets = new Set<string>();

  add(value: string | undefined): void {
    if (value && value.length >= 3) this.secrets.add(value);
  }

  get size(): number {
    return this.secrets.size;
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }
}
