/**
 * Issue 13 R5: `keys rewrap` beside bulk imports touching the same rows always finishes: the
 * rewrap takes row locks in one order without waiting for rows a writer holds (it comes back to
 * them), and retries a deadlock instead of aborting. Runs on both stores; only PostgreSQL has
 * concurrent writers that can deadlock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import { createKeyRotation } from '../../src/crypto/rotation.js';
import { CREDENTIAL_MASK } from '../../src/crypto/secret-box.js';
import { type Runtime, createRuntime } from '../../src/main.js';
import { promoteKey } from '../../src/crypto/primary.js';
import { BOOTSTRAP_TOKEN, testConfig } from '../support/harness.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;
const ROWS = 400;
const log = pino({ level: 'silent' });
const headers = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };
const item = (n: number, secret: string) => ({
  properties: { kind: 'stripe_key', secret, account_id: `acct_dl_${n}` },
});

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = a.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] ?? 0, a[i] ?? 0];
  }
  return a;
}

/**
 * A writer that locks rows of a batch the rewrap is writing in another order, as a bulk import
 * does (identity order): it locks one row; if the rewrap's write then waits for it, it finds a
 * row the rewrap already holds and asks for that one too, which is a deadlock. A rewrap that never
 * waits for a lock (the fix) gives it nothing to find. Returns true once it made a deadlock.
 */
async function lockAgainst(url: string, ids: string[], locked: () => void): Promise<boolean> {
  const writer = new pg.Client({ connectionString: url });
  const watcher = new pg.Client({ connectionString: url });
  await Promise.all([writer.connect(), watcher.connect()]);
  const lockOne = (id: string, nowait = false) =>
    writer.query(`select id from credentials where id = $1 for update${nowait ? ' nowait' : ''}`, [id]);
  try {
    const [target, ...others] = ids;
    if (!target) {
      locked();
      return false;
    }
    await writer.query('begin');
    await lockOne(target);
    locked();
    let waiting = false;
    for (let i = 0; i < 25 && !waiting; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      const res = await watcher.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
      );
      waiting = (res.rows[0]?.n ?? 0) > 0;
    }
    if (!waiting) return false;
    for (const id of others) {
      await writer.query('savepoint probe');
      try {
        await lockOne(id, true);
        await writer.query('release savepoint probe');
      } catch {
        // 55P03: the rewrap holds this row while it waits for ours.
        await writer.query('rollback to savepoint probe');
        await lockOne(id).catch(() => undefined);
        return true;
      }
    }
    return false;
  } finally {
    await writer.query('rollback').catch(() => undefined);
    await Promise.all([writer.end(), watcher.end()]);
  }
}

describe.each(STORE_KINDS)('keys rewrap beside bulk imports of the same rows on %s', (kind) => {
  let ts: TestStore | undefined;
  let rt: Runtime | undefined;
  beforeAll(async () => {
    ts = await openTestStore(kind);
  });
  afterAll(async () => {
    await rt?.close();
    await ts?.close();
  });

  it('finishes with every secret under the new key and no request failing', async () => {
    if (!ts) throw new Error('no store');
    const store = ts.store;
    const bulk = (r: Runtime, items: unknown[]) =>
      r.app.inject({ method: 'POST', url: '/v1/credentials/bulk', headers, payload: JSON.stringify({ items }) });
    // Seed under the old key, in small batches of random rows: the table's physical order then
    // follows neither the ids (the rewrap's order) nor the identities (the bulk import's).
    const first = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: OLD }), { store, log });
    const seedOrder = shuffled(ROWS);
    for (let start = 0; start < ROWS; start += 20) {
      const res = await bulk(
        first,
        seedOrder.slice(start, start + 20).map((n) => item(n, `sk_test_old_${n}`)),
      );
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    }
    await first.close();

    // A node on the new key re-imports the same rows in bulk, in random orders, while rewrap runs.
    rt = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: `${NEW},${OLD}` }), { store, log });
    // `keys promote new`: the node seals with it from its next heartbeat (docs/security.md "Key rotation").
    await promoteKey(store.db, 'new', parseMasterKeys(`${NEW},${OLD}`), new Date());
    await rt.keyPrimary.refresh();
    const node = rt;
    let stop = false;
    const failures: string[] = [];
    let batches = 0;
    const worker = async () => {
      while (!stop) {
        // Mostly masked re-imports (the stored secret stays under the old key, the row is still
        // locked and written), some new secrets.
        const order = shuffled(ROWS).slice(0, 60);
        const res = await bulk(
          node,
          order.map((n, i) => item(n, i % 10 === 0 ? `sk_test_new_${n}_${batches}` : CREDENTIAL_MASK)),
        );
        batches += 1;
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    };
    const load = Promise.all(Array.from({ length: 3 }, worker));
    while (batches < 3 && failures.length === 0) await new Promise((r) => setTimeout(r, 20));
    const rotation = createKeyRotation({ db: store.db, keyring: parseMasterKeys(`${NEW},${OLD}`) });
    try {
      // On PostgreSQL, the first batches of credentials also meet a writer locking in another order.
      let provoked = 0;
      const adversaries: Promise<boolean>[] = [];
      const url = ts.url;
      const result = await rotation.rewrap({
        batchSize: 20,
        beforeWrite: async (table, keys) => {
          if (url === undefined || table !== 'credentials' || provoked >= 5) return;
          provoked += 1;
          const ids = keys.map((k) => k[0] ?? '');
          // The write goes ahead once the writer holds its first row.
          await new Promise<void>((locked) => {
            adversaries.push(
              lockAgainst(url, [ids[ids.length - 1] ?? '', ...ids.slice(0, -1)], locked).finally(locked),
            );
          });
        },
      });
      await Promise.all(adversaries);
      expect(result.failed).toBe(0);
      expect(result.busy).toBe(0);
      expect(result.remaining).toBe(0);
    } finally {
      stop = true;
      await load;
    }
    expect(failures).toEqual([]);
    expect(batches).toBeGreaterThan(0);
    const status = await rotation.keyStatus();
    expect(status.keys.find((k) => k.kid === 'old')?.secrets ?? 0).toBe(0);
  }, 120_000);
});
