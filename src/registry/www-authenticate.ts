// Parser of WWW-Authenticate challenges (RFC 9110 §11.6.1, §11.2), pure: turns
// `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull,push"` into scheme + params.
// Several challenges may share one header value (fetch joins repeated headers with ", ").

export interface AuthChallenge {
  /** Lowercased auth scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Parameters with lowercased names; quoted values unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of params. */
  token68?: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/** Every challenge in the header value, in order; malformed trailing text is ignored. */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  const s = header;
  let i = 0;

  const skipSpace = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const skipSeparators = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    i++; // opening quote
    let out = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      out += s[i];
      i++;
    }
    i++; // closing quote (or end of input)
    return out;
  };
  /** At a `name =` pair? Looks ahead without consuming. Right after the scheme, `abc=` or `abc==` at the end
   * of a challenge is token68 padding, not an empty parameter (`firstAfterScheme`). */
  const atParam = (firstAfterScheme = false): boolean => {
    let j = i;
    while (j < s.length && TOKEN_CHAR.test(s[j]!)) j++;
    if (j === i) return false;
    const nameEnd = j;
    while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] !== '=') return false;
    if (!firstAfterScheme || j > nameEnd) return true;
    let k = j + 1;
    if (s[k] === '=') return false;
    while (k < s.length && (s[k] === ' ' || s[k] === '\t')) k++;
    return k < s.length && s[k] !== ',';
  };

  while (i < s.length) {
    skipSeparators();
    const scheme = readToken();
    if (!scheme) break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skipSpace();

    if (i < s.length && s[i] !== ',' && !atParam(true)) {
      const start = i;
      while (i < s.length && TOKEN68_CHAR.test(s[i]!)) i++;
      while (i < s.length && s[i] === '=') i++;
      if (i > start) challenge.token68 = s.slice(start, i);
      continue;
    }

    // auth-params until a token that is not followed by '=' (the next challenge's scheme)
    for (;;) {
      skipSeparators();
      if (!atParam()) break;
      const name = readToken().toLowerCase();
      skipSpace();
      i++; // '='
      skipSpace();
      const value = s[i] === '"' ? readQuoted() : readToken();
      // The first occurrence wins; a repeated parameter is malformed and must not override it.
      // defineProperty, so a hostile `__proto__=` is an ordinary key rather than a prototype change.
      if (!Object.hasOwn(challenge.params, name)) {
        Object.defineProperty(challenge.params, name, { value, enumerable: true, writable: true, configurable: true });
      }
    }
  }
  return challenges;
}
