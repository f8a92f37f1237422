import { createHash } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { ConflictError, ValidationError } from '../lib/errors.js';
import type { Db } from '../store/db.js';

const TTL_MS = 24 * 3600 * 1000;
// A claim whose request never finished (its node died) can be taken over after this long.
const STALE_CLAIM_MS = 5 * 60 * 1000;

/** Stable JSON: object keys sorted, so two spellings of one body hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method}\n${path}\n${canonicalJson(body ?? null)}`).digest('hex');
}

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: string };

export interface IdempotencyDeps {
  db: Db;
  clock: Clock;
  /** Response bodies may hold a plaintext token (e.g. a new API token): stored sealed. */
  seal(accountId: string, key: string, body: string): string;
  unseal(accountId: string, key: string, sealed: string): string;
}

export function createIdempotencyService({ db, clock, seal, unseal }: IdempotencyDeps) {
  async function tryInsert(accountId: string, key: string, hash: string): Promise<boolean> {
    const row = await db
      .insertInto('idempotency_keys')
      .values({ account_id: accountId, key, request_hash: hash, response_status: null, response_body: null, created_at: clock.now() })
      .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  }

  return {
    /** Claims the key for this request, or answers how the earlier request ended. */
    async begin(accountId: string, key: string, hash: string): Promise<Claim> {
      if (key.length === 0 || key.length > 255) {
        throw new ValidationError({ 'headers.idempotency-key': ['must be 1 to 255 characters'] });
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await tryInsert(accountId, key, hash)) return { kind: 'new' };
        const row = await db
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('key', '=', key)
          .executeTakeFirst();
        if (!row) continue; // deleted meanwhile (an abandoned claim): try again
        const age = clock.now().getTime() - new Date(row.created_at).getTime();
        const stale = age > TTL_MS || (row.response_status === null && age > STALE_CLAIM_MS);
        if (stale) {
          await db
            .deleteFrom('idempotency_keys')
            .where('account_id', '=', accountId)
            .where('key', '=', key)
            .where('created_at', '=', row.created_at)
            .execute();
          continue;
        }
        if (row.request_hash !== hash) {
          throw new ValidationError(
            { 'headers.idempotency-key': ['was already used with a different request'] },
            'This Idempotency-Key was already used with a different request; use a new key.',
          );
        }
        if (row.response_status === null || row.response_body === null) {
          throw new ConflictError('A request with this Idempotency-Key is still running; retry shortly.');
        }
        return { kind: 'replay', status: row.response_status, body: unseal(accountId, key, row.response_body) };
      }
      throw new ConflictError('A request with this Idempotency-Key is still running; retry shortly.');
    },

    async complete(accountId: string, key: string, status: number, body: string): Promise<void> {
      await db
        .updateTable('idempotency_keys')
        .set({ response_status: status, response_body: seal(accountId, key, body) })
        .where('account_id', '=', accountId)
        .where('key', '=', key)
        .execute();
    },

    /** A 5xx is not stored: the key is freed so a retry runs again. */
    async abandon(accountId: string, key: string): Promise<void> {
      await db.deleteFrom('idempotency_keys').where('account_id', '=', accountId).where('key', '=', key).execute();
    },

    async purgeExpired(): Promise<number> {
      const res = await db
        .deleteFrom('idempotency_keys')
        .where('created_at', '<', new Date(clock.now().getTime() - TTL_MS))
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
