import { createHmac } from 'node:crypto';
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

/**
 * The stored fingerprint of a request: HMAC-SHA256 under a server key (bodies hold secrets, so
 * a bare SHA-256 would let anyone who reads the table test guesses of them). The key is derived
 * in main.ts from the server's fingerprint key (server_secrets, sealed under the master key).
 */
export function requestHash(hashKey: string | Buffer, method: string, path: string, body: unknown): string {
  return createHmac('sha256', hashKey)
    .update(`${method}\n${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: string };

/** Who owns a key: keys are scoped to the API token that sent them, never shared across tokens. */
export interface KeyOwner {
  accountId: string;
  tokenId: string;
}

/** The stored key: `<token id>:<client key>` (the table's primary key is (account_id, key)). */
const storedKey = (owner: KeyOwner, key: string): string => `${owner.tokenId}:${key}`;

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
      .values({
        account_id: accountId,
        key,
        request_hash: hash,
        response_status: null,
        response_body: null,
        created_at: clock.now(),
      })
      .onConflict((oc) => oc.columns(['account_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    return row !== undefined;
  }

  return {
    /** Claims the key for this request, or answers how the earlier request ended. */
    async begin(owner: KeyOwner, clientKey: string, hash: string): Promise<Claim> {
      if (clientKey.length === 0 || clientKey.length > 255) {
        throw new ValidationError({ 'headers.idempotency-key': ['must be 1 to 255 characters'] });
      }
      const { accountId } = owner;
      const key = storedKey(owner, clientKey);
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
        if (row.response_status === null) {
          throw new ConflictError('A request with this Idempotency-Key is still running; retry shortly.');
        }
        if (row.response_body === null) {
          // The answer held a secret (an access token, a new API token): it is never kept nor replayed.
          throw new ConflictError(
            'This Idempotency-Key was used, and its answer held a secret that is not kept for replay; send a new key to run the request again.',
          );
        }
        return { kind: 'replay', status: row.response_status, body: unseal(accountId, key, row.response_body) };
      }
      throw new ConflictError('A request with this Idempotency-Key is still running; retry shortly.');
    },

    /** Records how the request ended; `body` null for an answer that held a secret (status only). */
    async complete(owner: KeyOwner, clientKey: string, status: number, body: string | null): Promise<void> {
      const { accountId } = owner;
      const key = storedKey(owner, clientKey);
      await db
        .updateTable('idempotency_keys')
        .set({ response_status: status, response_body: body === null ? null : seal(accountId, key, body) })
        .where('account_id', '=', accountId)
        .where('key', '=', key)
        .execute();
    },

    /** A 5xx is not stored: the key is freed so a retry runs again. */
    async abandon(owner: KeyOwner, clientKey: string): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('account_id', '=', owner.accountId)
        .where('key', '=', storedKey(owner, clientKey))
        .execute();
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
