/**
 * Envelopes opened recently, with their plaintext, for a few seconds (docs/performance.md,
 * "Access-token: recently opened tokens"). An application that calls `/access-token` before each
 * provider call has the same token opened many times a second: the AES-GCM decryption with its
 * envelope parsing was a tenth of a reveal's CPU. An entry is keyed by everything decryption
 * reads, the place (bound in as associated data) and the envelope itself, so a hit answers exactly
 * what decrypting would: a changed secret, a re-sealed one (another key or IV) or a ciphertext
 * copied to another place is a miss and is decrypted (and verified) as before. Nothing here
 * decides who may read a secret: the reads around it (ownership, health, the audit row) run as
 * before on every request.
 *
 * The trade-off: at most `max` plaintexts stay in the node's memory up to `ttlMs` after their last
 * decryption (they are in memory during each reveal anyway, and JS strings cannot be wiped:
 * docs/security.md C7). Nothing is written anywhere.
 */
import type { SecretPlace } from './places.js';

export interface RecentOpened {
  /** The plaintext of `envelope` at `place`: from a recent opening, else `open()` (kept on success). */
  open(envelope: string, place: SecretPlace, open: () => string): string;
}

export function createRecentOpened(ttlMs: number, max: number, nowMs: () => number = Date.now): RecentOpened {
  const entries = new Map<string, { plain: string; until: number }>();
  return {
    open(envelope, place, open) {
      if (ttlMs <= 0) return open();
      const key = `${place.table ?? ''}\u0000${place.accountId}\u0000${place.rowId}\u0000${place.field}\u0000${envelope}`;
      const now = nowMs();
      const hit = entries.get(key);
      if (hit !== undefined && hit.until > now) return hit.plain;
      const plain = open();
      if (hit === undefined && entries.size >= max) entries.clear();
      entries.set(key, { plain, until: now + ttlMs });
      return plain;
    },
  };
}
