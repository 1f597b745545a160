// The sign-in form: an API token (from `slipway token create`), checked with GET /v1/whoami before it is kept.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { WhoAmI } from '../../src/contract/tokens.js';
import { apiGet, saveToken } from '../api.js';
import { Problem } from '../ui.js';

export function SignIn({ notice, onSignedIn }: { notice?: string; onSignedIn: (me: WhoAmI) => void }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return setError('Paste an API token first.');
    setBusy(true);
    setError(undefined);
    try {
      const me = await apiGet('/v1/whoami', WhoAmI, { token: value });
      saveToken(value, remember);
      onSignedIn(me);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return html`<main id="main" class="sign-in">
    <h1>Sign in to Slipway</h1>
    <p>Use an API token: <code>slipway token create NAME --role reader</code> makes one, and <code>npm run up</code> keeps the admin's in <code>.data/admin-token</code>.</p>
    <${Problem} error=${notice} />
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} />
      <label class="check"><input type="checkbox" checked=${remember} onChange=${(e: Event) => setRemember((e.target as HTMLInputElement).checked)} /> Stay signed in on this device</label>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <${Problem} error=${error} />
    </form>
  </main>`;
}
