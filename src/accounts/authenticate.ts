import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { UnauthorizedError } from '../lib/errors.js';
import type { Db } from '../store/db.js';
import { type Scope, asScopes, digestsEqual, hashToken, plausibleToken } from './tokens.js';

export interface AuthContext {
  accountId: string;
  tokenId: string;
  scopes: ReadonlySet<Scope>;
}

// Looked up rather than imported by name: Node 20 before 20.12 has no crypto.hash.
const oneShotHash = (nodeCrypto as Partial<Pick<typeof nodeCrypto, 'hash'>>).hash;

/**
 * Bearer-token authentication: the api_tokens lookup by digest, a short positive cache and the
 * sharing of concurrent lookups. `forgetAll` (after a revocation) empties both at once.
 */
export function createAuthenticator({ db, authCacheMs = 1000 }: { db: Db; authCacheMs?: number | undefined }) {
  // Short positive cache: revocation is immediate on this node and takes at most
  // authCacheMs on the others. Keyed by a digest (cacheKey), never by the token itself.
  const cache = new Map<string, { ctx: AuthContext; until: number }>();
  // Lookups in flight, by digest: when the cached entry expires under load, the concurrent
  // requests of that token share one query instead of each sending its own.
  const pending = new Map<string, Promise<AuthContext>>();
  // Bumped by each revocation: a lookup that started before it neither caches nor is shared after it.
  let generation = 0;

  /** SHA-256 of the token in base64, with the one-shot crypto.hash where Node has it (20.12+): several times cheaper than a Hash object. */
  const cacheKey = (token: string): string =>
    oneShotHash ? oneShotHash('sha256', token, 'base64') : createHash('sha256').update(token, 'utf8').digest('base64');

  /** The bearer token of an Authorization header when it is plausible, else undefined. */
  function bearerToken(header: string | undefined): string | undefined {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const token = m?.[1];
    return token && plausibleToken(token) ? token : undefined;
  }

  async function lookup(digest: Buffer, key: string): Promise<AuthContext> {
    const started = generation;
    const now = Date.now();
    const row = await db
      .selectFrom('api_tokens')
      .select(['id', 'account_id', 'scopes', 'token_hash', 'revoked_at'])
      .where('token_hash', '=', digest)
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || !digestsEqual(Buffer.from(row.token_hash), digest)) {
      throw new UnauthorizedError();
    }
    const ctx: AuthContext = { accountId: row.account_id, tokenId: row.id, scopes: new Set(asScopes(row.scopes)) };
    if (authCacheMs > 0 && started === generation) {
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { ctx, until: now + authCacheMs });
    }
    return ctx;
  }

  return {
    async authenticate(header: string | undefined): Promise<AuthContext> {
      const token = bearerToken(header);
      if (!token) throw new UnauthorizedError();
      const key = cacheKey(token);
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.ctx;
      const shared = pending.get(key);
      if (shared) return shared;
      const inFlight: Promise<AuthContext> = lookup(hashToken(token), key).finally(() => {
        if (pending.get(key) === inFlight) pending.delete(key);
      });
      pending.set(key, inFlight);
      return inFlight;
    },

    /**
     * What authenticate would answer from the cache, without a promise (the request hot path);
     * undefined when the header is unusable or the token is not cached: then call authenticate.
     */
    cachedAuth(header: string | undefined): AuthContext | undefined {
      const token = bearerToken(header);
      if (!token) return undefined;
      const hit = cache.get(cacheKey(token));
      return hit && hit.until > Date.now() ? hit.ctx : undefined;
    },

    /** A token was revoked: nothing cached or in flight is answered again. */
    forgetAll(): void {
      generation++;
      pending.clear();
      cache.clear();
    },
  };
}
