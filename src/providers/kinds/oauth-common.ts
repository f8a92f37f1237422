/**
 * Access-token expiry shared by every `*_oauth2` kind (docs/kinds.md): `expires_at` (ISO 8601)
 * or `expires_in` (seconds, turned into `expires_at` at import). A token with no known
 * expiry is treated as expiring now, so it is refreshed or checked before it is trusted
 * (the Nango #1827 class of bug, peers.md).
 */
import { z } from 'zod';
import { isoDateTime } from '../normalize.js';
import type { FinalizeResult } from '../types.js';

/** A hundred years: far beyond any real token, small enough to stay a valid date. */
const MAX_EXPIRES_IN = 100 * 365 * 24 * 3600;

export const expiryFields = {
  expires_at: isoDateTime().optional(),
  expires_in: z
    .number({ error: 'must be a whole number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must not be negative')
    .max(MAX_EXPIRES_IN, `must be at most ${MAX_EXPIRES_IN} seconds`)
    .optional(),
};

/**
 * The token capabilities of an OAuth kind that keeps its access token in `access_token` and the
 * token's expiry in `expires_at`, renewed with its refresh_token (KindSpec.accessToken,
 * tokenField, expiryField).
 */
export const refreshedAccessToken = {
  accessToken: { from: 'refresh' },
  tokenField: 'access_token',
  expiryField: 'expires_at',
} as const;

/** The same for an OAuth kind that keeps no access token among its properties (cached sealed). */
export const refreshedCachedToken = {
  accessToken: { from: 'refresh' },
  tokenField: null,
  expiryField: 'expires_at',
} as const;

export interface ExpiryProps {
  access_token?: string | undefined;
  expires_at?: string | undefined;
  expires_in?: number | undefined;
}

/** Resolves `expires_in` into `expires_at` against `now`; both at once is an issue. */
export function finalizeExpiry<P extends ExpiryProps>(props: P, now: Date): FinalizeResult<P> {
  if (props.expires_at !== undefined && props.expires_in !== undefined) {
    return {
      ok: false,
      issues: { expires_in: ['cannot be sent together with expires_at; send only one of them'] },
    };
  }
  const out = { ...props };
  delete out.expires_in;
  if (props.expires_in !== undefined) {
    return {
      ok: true,
      props: Object.assign(out, { expires_at: new Date(now.getTime() + props.expires_in * 1000).toISOString() }),
    };
  }
  if (props.expires_at === undefined && typeof props.access_token === 'string') {
    return { ok: true, props: Object.assign(out, { expires_at: now.toISOString() }) };
  }
  return { ok: true, props: out };
}
