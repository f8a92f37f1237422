/**
 * The proxy's short per-node cache of what authenticates a credential's calls (docs/performance.md,
 * "Proxy credential cache"): the row and its opened secrets, for `ttlMs` after they were read.
 * It saves the read and the decryption on every proxied call; the price is revocation lag:
 * a credential deleted, re-imported or turned `error` on ANOTHER node (or by this node's
 * scheduler) may still be used here for up to `ttlMs`. Writes this node makes through the API
 * (import, delete) and the proxy's own refreshes and refusals forget the entry at once.
 * `ttlMs` 0 turns it off (CREDVAULT_PROXY_CACHE_MS).
 */
import type { ProxyMaterial } from '../tokens/service.js';
import type { Clock } from '../lib/clock.js';

export interface MaterialCache {
  get(accountId: string, id: string): ProxyMaterial | undefined;
  set(accountId: string, id: string, m: ProxyMaterial): void;
  /** Forgets the credential (any account): after a local write, a refresh or a refusal. */
  forget(id: string): void;
}

/** Entries kept at most; past it the cache starts again empty (a bound on the secrets held in memory). */
const MAX_ENTRIES = 10_000;

export function createMaterialCache(ttlMs: number, clock: Clock): MaterialCache {
  // Keyed by credential id; the account is checked on every hit, so one account never sees another's.
  const entries = new Map<string, { accountId: string; m: ProxyMaterial; until: number }>();
  return {
    get(accountId, id) {
      if (ttlMs <= 0) return undefined;
      const e = entries.get(id);
      if (!e) return undefined;
      if (e.accountId !== accountId || e.until <= clock.now().getTime()) {
        if (e.accountId === accountId) entries.delete(id);
        return undefined;
      }
      return e.m;
    },
    set(accountId, id, m) {
      if (ttlMs <= 0) return;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(id, { accountId, m, until: clock.now().getTime() + ttlMs });
    },
    forget(id) {
      // Entries are keyed by the lowercase id (the proxy endpoint's); a delete may name it in any case.
      entries.delete(id.toLowerCase());
    },
  };
}
