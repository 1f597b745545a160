// Go's strconv.Quote (fmt's %q), which Sprig's quote uses: valid YAML double-quoted text as well.

export function goQuote(value: string): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
