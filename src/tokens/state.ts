/**
 * What a credential row holds of its access token, read without opening any secret
 * (docs/architecture.md, "The token path"): whether the kind has a token and can renew it,
 * whether one is stored, and when it expires. Expiry is always judged at a time passed in (the
 * injected clock), never the machine's.
 */
import type { CredentialSecrets } from '../health/secrets.js';
import type { WorkRow } from '../health/store.js';
import type { ProviderModule } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';

/**
 * Whether the provider can renew this credential's access token: minted kinds always, OAuth
 * kinds with a refresh_token. `secrets` is the row's sealed secrets or the opened ones: only
 * which names are present matters.
 */
export function canRefresh(
  spec: KindSpec,
  secrets: Readonly<Record<string, unknown>>,
  module: ProviderModule,
): boolean {
  if (module.refresh === undefined) return false;
  const source = spec.accessToken.from;
  return source === 'mint' || (source === 'refresh' && typeof secrets.refresh_token === 'string');
}

/** When the row's current token expires: the column refreshes write, else the kind's expiry property. */
export function tokenExpiry(row: WorkRow, spec: KindSpec): Date | null {
  const prop = spec.expiryField === null ? undefined : row.properties[spec.expiryField];
  return row.token_expires_at ?? (typeof prop === 'string' ? new Date(prop) : null);
}

/** The current access token of a row whose secrets are open, and its expiry. */
export function currentToken(row: WorkRow, plain: Record<string, string>, cached: string | undefined, spec: KindSpec) {
  const token = spec.tokenField === null ? cached : plain[spec.tokenField];
  return { token, expiresAt: tokenExpiry(row, spec) };
}

export interface HeldToken {
  /** Set when the kind has no bearer token: what it uses instead. */
  none?: string;
  /** The token can be renewed (OAuth refresh with a refresh_token, or mint). */
  refreshable: boolean;
  /** A token is stored, sealed: in the kind's token field, or cached. */
  stored: boolean;
  /** Expiry of a renewable token; null for tokens answered as stored. */
  expiresAt: Date | null;
  /** The stored token may be answered as is: nothing to renew, or valid past the margin at `now`. */
  fresh: boolean;
}

/** The token state of a row at `now`, from its sealed secrets and columns: nothing is decrypted. */
export function heldToken(
  row: WorkRow,
  spec: KindSpec | undefined,
  module: ProviderModule | undefined,
  now: Date,
  marginSeconds: number,
): HeldToken {
  if (!spec || !module) return { refreshable: false, stored: false, expiresAt: null, fresh: false };
  const source = spec.accessToken;
  if (source.from === 'none')
    return { none: source.why, refreshable: false, stored: false, expiresAt: null, fresh: false };
  const inField = spec.tokenField !== null && row.secrets[spec.tokenField] !== undefined;
  // An API key, or an OAuth token that cannot be renewed (no refresh_token): answered as stored.
  if (!canRefresh(spec, row.secrets, module))
    return { refreshable: false, stored: inField, expiresAt: null, fresh: true };
  const stored = spec.tokenField === null ? !!row.cached_token : inField;
  const expiresAt = tokenExpiry(row, spec);
  const fresh = stored && !!expiresAt && expiresAt.getTime() - marginSeconds * 1000 > now.getTime();
  return { refreshable: true, stored, expiresAt, fresh };
}

/**
 * Opens the row's current token, and nothing else: one decryption. Undefined when none is
 * stored, or when a cached token cannot be opened (it is only a cache: made again).
 */
export function openToken(row: WorkRow, spec: KindSpec, secrets: CredentialSecrets): string | undefined {
  return spec.tokenField === null ? secrets.openCached(row) : secrets.openField(row, spec.tokenField);
}
