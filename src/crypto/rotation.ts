/**
 * Online master-key rotation (docs/security.md C4; issue 4 item 4).
 *
 * 1. Add a new key to CREDVAULT_MASTER_KEYS and restart nodes one by one (it decrypts), then
 *    `credvault keys promote KID` records it as the database's primary (crypto/primary.ts,
 *    refused while a live node lacks it): every node seals with it from its next heartbeat.
 * 2. `rewrap()` walks every table holding envelopes in primary-key order, in small batches, and
 *    re-seals each envelope not under the primary. Each batch is one UPDATE guarded by the values
 *    it read, so a concurrent import or patch is never overwritten: its rows are re-read and
 *    retried. Resumable because it only ever looks at envelopes not under the primary.
 * 3. `retire(kid)` refuses while any envelope uses the kid, then records it in `retired_keys`;
 *    a node refuses to start with a retired kid as its primary (`assertPrimaryNotRetired`).
 */
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { DecryptError, envelopeKid, rewrapSecret } from './envelope.js';
import { ENCRYPTION_ROTATE_THRESHOLD, KID_PATTERN, type Keyring } from './keyring.js';
import { recordedEncryptions } from './ledger.js';
import {
  type ColValue,
  type RowData,
  type RowWrite,
  type SecretTable,
  type TableDesc,
  TABLES,
  colValue,
  countByKid,
  reselect,
  rowKey,
  selectBatch,
  writeBatch,
} from './rotation-tables.js';

export type { SecretTable } from './rotation-tables.js';

/** A refused rotation step; the message says what to do. */
export class RotationError extends Error {
  override readonly name = 'RotationError';
}

export interface RotationDeps {
  db: Db;
  keyring: Keyring;
}

export interface KeyUsage {
  kid: string;
  /** Envelopes sealed under this kid, over every table. */
  secrets: number;
  tables: Partial<Record<SecretTable, number>>;
  configured: boolean;
  primary: boolean;
  retiredAt: string | null;
  /** Encryptions this key has performed, over every node (C5; recorded every few seconds). */
  encryptions: number;
  /** At or past ENCRYPTION_ROTATE_THRESHOLD: rotate to a new primary. */
  rotateSoon: boolean;
}

export interface KeyStatus {
  primaryKid: string;
  keys: KeyUsage[];
  /** Envelopes not under the primary (what a rewrap would move). */
  pending: number;
}

export interface RewrapProgress {
  table: SecretTable;
  /** Envelopes handled so far (rewrapped or failed) out of `total` found at the start. */
  done: number;
  total: number;
  rewrapped: number;
  failed: number;
}

export interface RewrapFailure {
  table: SecretTable;
  /** Primary key of the row (ids and names only, never secret material). */
  row: string;
  field: string;
  reason: string;
}

export interface RewrapOptions {
  /** Rows per batch (default 200). */
  batchSize?: number;
  onProgress?: (p: RewrapProgress) => void;
  /** Stops after the current batch; a later run resumes. */
  signal?: AbortSignal;
  /** Called just before each guarded write (instrumentation and tests). */
  beforeWrite?: (table: SecretTable, keys: string[][]) => Promise<void> | void;
}

export interface RewrapResult {
  total: number;
  rewrapped: number;
  failed: number;
  /** The first failures (envelopes left as they were: they stay readable as before). */
  failures: RewrapFailure[];
  /** Rows that kept changing under us; a re-run picks them up. */
  busy: number;
  interrupted: boolean;
  /** Envelopes still not under the primary when the run ended. */
  remaining: number;
  elapsedMs: number;
}

export const DEFAULT_BATCH_SIZE = 200;
/** Tries per batch for rows that changed or were locked under us (with a growing pause between). */
const MAX_ATTEMPTS = 8;
const RETRY_PAUSE_MS = 25;

/** PostgreSQL's "deadlock detected": the statement was rolled back and may simply be run again. */
function isDeadlock(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === '40P01';
}
const MAX_LISTED_FAILURES = 100;

interface RowOutcome {
  write: RowWrite | undefined;
  rewrapped: number;
  failures: RewrapFailure[];
}

/** Re-seals every envelope of one row not under the primary; failures leave that envelope as it was. */
function rewrapRow(keyring: Keyring, t: TableDesc, row: RowData): RowOutcome {
  const key = rowKey(t, row);
  const old: ColValue[] = t.cols.map((c) => colValue(row, c));
  let rewrapped = 0;
  const failures: RewrapFailure[] = [];
  const one = (envelope: string, field: string, col: string, mapKey: string | undefined): string => {
    try {
      if (envelopeKid(envelope) === keyring.primaryKid) return envelope;
      const next = rewrapSecret(keyring, envelope, t.place(row, col, mapKey));
      rewrapped += 1;
      return next;
    } catch (err) {
      if (!(err instanceof DecryptError)) throw err;
      failures.push({ table: t.name, row: key.join('/'), field, reason: err.reason });
      return envelope;
    }
  };
  const next: ColValue[] = t.cols.map((c, i) => {
    const v = old[i] ?? null;
    if (v === null) return null;
    if (typeof v === 'string') return one(v, c.name, c.name, undefined);
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, one(e, `${c.name}.${k}`, c.name, k)]));
  });
  return { write: rewrapped > 0 ? { key, old, next } : undefined, rewrapped, failures };
}

export function createKeyRotation({ db, keyring }: RotationDeps) {
  async function retiredKeys(): Promise<Map<string, string>> {
    const res = await sql<{ kid: string; retired_at: Date | string }>`select kid, retired_at from retired_keys`.execute(
      db,
    );
    return new Map(res.rows.map((r) => [r.kid, new Date(r.retired_at).toISOString()]));
  }

  async function keyStatus(): Promise<KeyStatus> {
    const [counts, retired, encryptions] = await Promise.all([countByKid(db), retiredKeys(), recordedEncryptions(db)]);
    const byKid = new Map<string, KeyUsage>();
    const usage = (kid: string): KeyUsage => {
      let u = byKid.get(kid);
      if (!u) {
        const n = encryptions.get(kid) ?? 0;
        u = {
          kid,
          secrets: 0,
          tables: {},
          configured: keyring.has(kid),
          primary: kid === keyring.primaryKid,
          retiredAt: retired.get(kid) ?? null,
          encryptions: n,
          rotateSoon: n >= ENCRYPTION_ROTATE_THRESHOLD,
        };
        byKid.set(kid, u);
      }
      return u;
    };
    for (const kid of keyring.kids) usage(kid);
    for (const { table, kid, n } of counts) {
      const u = usage(kid);
      u.secrets += n;
      u.tables[table] = (u.tables[table] ?? 0) + n;
    }
    for (const kid of retired.keys()) usage(kid);
    const keys = [...byKid.values()];
    const pending = keys.filter((k) => !k.primary).reduce((sum, k) => sum + k.secrets, 0);
    return { primaryKid: keyring.primaryKid, keys, pending };
  }

  async function rewrap(opts: RewrapOptions = {}): Promise<RewrapResult> {
    const started = Date.now();
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RotationError('batch size must be a positive integer');
    const before = await keyStatus();
    const missing = before.keys.filter((k) => !k.configured && k.secrets > 0 && k.kid !== '?');
    if (missing.length > 0) {
      const list = missing.map((k) => `"${k.kid}" (${k.secrets})`).join(', ');
      throw new RotationError(
        `Secrets use keys that CREDVAULT_MASTER_KEYS does not configure: ${list}. Add them (after the primary) and run again.`,
      );
    }
    const r: RewrapResult = {
      total: before.pending,
      rewrapped: 0,
      failed: 0,
      failures: [],
      busy: 0,
      interrupted: false,
      remaining: 0,
      elapsedMs: 0,
    };
    const settle = (o: RowOutcome) => {
      r.rewrapped += o.rewrapped;
      r.failed += o.failures.length;
      for (const f of o.failures) if (r.failures.length < MAX_LISTED_FAILURES) r.failures.push(f);
    };

    outer: for (const t of TABLES) {
      let after: string[] | undefined;
      for (;;) {
        if (opts.signal?.aborted) {
          r.interrupted = true;
          break outer;
        }
        const batch = await selectBatch(db, t, keyring.primaryKid, after, batchSize);
        const last = batch[batch.length - 1];
        if (!last) break;
        after = rowKey(t, last);
        let pending = batch;
        for (let attempt = 1; pending.length > 0; attempt += 1) {
          const outcomes = pending.map((row) => rewrapRow(keyring, t, row));
          const writes: RowWrite[] = [];
          for (const o of outcomes) {
            if (o.write) writes.push(o.write);
            else settle(o); // nothing to write: only failures (or already moved)
          }
          if (writes.length === 0) break;
          await opts.beforeWrite?.(
            t.name,
            writes.map((w) => w.key),
          );
          let written: Set<string>;
          try {
            written = await writeBatch(db, t, writes);
          } catch (err) {
            // writeBatch never waits for a lock it cannot take, but a deadlock is retried anyway.
            if (!isDeadlock(err)) throw err;
            written = new Set();
          }
          const lost: string[][] = [];
          for (const o of outcomes) {
            if (!o.write) continue;
            if (written.has(o.write.key.join('\u0000'))) settle(o);
            else lost.push(o.write.key);
          }
          if (lost.length === 0) break;
          if (attempt >= MAX_ATTEMPTS) {
            r.busy += lost.length;
            break;
          }
          // Changed, deleted or locked by a writer since we read it: wait a little, read it again
          // and rewrap what it holds now.
          await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * 2 ** (attempt - 1)));
          pending = await reselect(db, t, keyring.primaryKid, lost);
        }
        opts.onProgress?.({
          table: t.name,
          done: r.rewrapped + r.failed,
          total: r.total,
          rewrapped: r.rewrapped,
          failed: r.failed,
        });
        if (batch.length < batchSize) break;
      }
    }
    r.remaining = (await keyStatus()).pending;
    r.elapsedMs = Date.now() - started;
    return r;
  }

  async function retire(kid: string): Promise<{ kid: string; retiredAt: string; alreadyRetired: boolean }> {
    if (!KID_PATTERN.test(kid))
      throw new RotationError(`"${kid}" is not a valid key id (expected ${KID_PATTERN.source})`);
    if (kid === keyring.primaryKid) {
      throw new RotationError(
        `Key "${kid}" is the primary key in CREDVAULT_MASTER_KEYS: make a new key primary and run \`credvault keys rewrap\` first.`,
      );
    }
    const status = await keyStatus();
    const n = status.keys.find((k) => k.kid === kid)?.secrets ?? 0;
    if (n > 0) {
      throw new RotationError(
        `Key "${kid}" still protects ${n} secret${n === 1 ? '' : 's'}: run \`credvault keys rewrap\` (with "${kid}" still configured) and retire it afterwards.`,
      );
    }
    const now = new Date();
    const inserted = await sql<{ kid: string }>`insert into retired_keys (kid, retired_at) values (${kid}, ${now})
      on conflict (kid) do nothing returning kid`.execute(db);
    const alreadyRetired = inserted.rows.length === 0;
    const at = (await retiredKeys()).get(kid) ?? now.toISOString();
    return { kid, retiredAt: at, alreadyRetired };
  }

  return { keyStatus, rewrap, retire };
}

export type KeyRotation = ReturnType<typeof createKeyRotation>;

/** Startup check: a retired kid must never encrypt again. Throws RotationError naming the fix. */
export async function assertPrimaryNotRetired(db: Db, keyring: Keyring): Promise<void> {
  const res = await sql<{
    retired_at: Date | string;
  }>`select retired_at from retired_keys where kid = ${keyring.primaryKid}`.execute(db);
  const row = res.rows[0];
  if (row) {
    throw new RotationError(
      `The primary key "${keyring.primaryKid}" of this node was retired on ${new Date(row.retired_at).toISOString()}: put a current key first in CREDVAULT_MASTER_KEYS (a new database) or promote one (credvault keys promote).`,
    );
  }
}
