/**
 * The console's only way to the server: the typed client (credvault/client) with the token the
 * operator pasted. The token lives in sessionStorage for this tab only: never in a URL, never in
 * localStorage (docs/console.md).
 */
import { CredvaultError, createCredvaultClient, type CredvaultClient, unwrap } from '../../src/client/index.ts';

export { CredvaultError, unwrap };
export type { CredvaultClient };

const TOKEN_KEY = 'credvault.token';

export type Scope =
  'credentials:read' | 'credentials:write' | 'credentials:use' | 'secrets:reveal' | 'tokens:manage' | 'admin';

export interface Session {
  client: CredvaultClient;
  accountName: string;
  tokenId: string;
  scopes: ReadonlySet<Scope>;
  can(scope: Scope): boolean;
}

function clientFor(token: string): CredvaultClient {
  return createCredvaultClient({ url: window.location.origin, token });
}

/** Asks the server who the token is; stores it for the tab only when the server accepts it. */
export async function signIn(token: string): Promise<Session> {
  const client = clientFor(token.trim());
  const me = await unwrap(client.GET('/v1/accounts/me'));
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return sessionOf(client, me);
}

/** The session of this tab, if a token was accepted before (a reload keeps it). */
export async function resumeSession(): Promise<Session | undefined> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return undefined;
  try {
    const client = clientFor(token);
    return sessionOf(client, await unwrap(client.GET('/v1/accounts/me')));
  } catch {
    sessionStorage.removeItem(TOKEN_KEY);
    return undefined;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

function sessionOf(client: CredvaultClient, me: { name: string; token: { id: string; scopes: Scope[] } }): Session {
  const scopes = new Set<Scope>(me.token.scopes);
  // As on the server: a token may do exactly what its scopes name (admin does not imply the rest).
  const can = (s: Scope) => scopes.has(s);
  return { client, accountName: me.name, tokenId: me.token.id, scopes, can };
}

/** The error body's summary and field errors, whatever was thrown. */
export function describeError(err: unknown): { summary: string; fields: Record<string, string[]> } {
  if (err instanceof CredvaultError) {
    const fields = (err.body as { validation_errors?: Record<string, string[]> } | undefined)?.validation_errors ?? {};
    return { summary: err.body?.summary ?? err.message, fields };
  }
  return { summary: err instanceof Error ? err.message : 'Something went wrong.', fields: {} };
}
