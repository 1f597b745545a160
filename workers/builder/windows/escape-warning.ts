// The warning for Windows paths bitten by Dockerfile escapes: with the default escape `\`, `C:\app\bin` reads
// as `C:appbin` (Docker's own behaviour, which is why Windows Dockerfiles use `# escape=\``). The words themselves
// are expanded by src/dockerfile/word.ts, the one port of BuildKit's shell lexer.

/**
 * True when the escape character, outside quotes, would swallow itself in front of a letter or digit — the
 * `C:\app` → `C:app` surprise of Windows paths under the default escape.
 */
export function escapeSwallowsSeparator(word: string, escape: string): boolean {
  let quote: string | undefined;
  const chars = Array.from(word);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
    } else if (ch === escape) {
      const following = chars[i + 1];
      if (quote === undefined && following !== undefined && /[\p{L}\p{N}]/u.test(following)) return true;
      if (quote === undefined || following === '"' || following === '$' || following === escape) i++;
    } else if (ch === quote) quote = undefined;
    else if (quote === undefined && (ch === "'" || ch === '"')) quote = ch;
  }
  return false;
}
