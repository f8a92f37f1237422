import { useState } from 'preact/hooks';
import { type Session, describeError, signIn } from '../api.ts';

/** Paste an API token; it is kept for this tab only (sessionStorage), never in the URL. */
export function SignInPage({ onSignedIn }: { onSignedIn(s: Session): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(token));
    } catch (err) {
      const { summary } = describeError(err);
      setError(summary);
    } finally {
      setBusy(false);
      setToken('');
    }
  };
  return (
    <main id="main" class="signin">
      <h1>credvault console</h1>
      <p>
        Sign in with an API token. It stays in this browser tab only and is forgotten when you sign out or close the
        tab.
      </p>
      <form onSubmit={submit} method="post" action="#">
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="cv_live_…"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'token-error' : undefined}
          aria-invalid={error ? true : undefined}
          required
        />
        {error && (
          <p class="field-error" id="token-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="muted">
        No token? The first start of credvault prints an admin token; <code>credvault tokens create</code> makes more.
      </p>
    </main>
  );
}
