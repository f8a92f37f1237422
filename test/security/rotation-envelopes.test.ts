/**
 * Key rotation covers every envelope column (issue 13 item 4): the rotation descriptors are
 * compared with the columns that actually hold envelopes (found by scanning every text and jsonb
 * column of every table for the `v1.<kid>.` prefix, not from a list), credentials.cached_token
 * is counted, rewrapped and blocks retire, and a cached token that cannot be opened is made
 * again instead of failing the credential. Both stores.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret } from '../../src/crypto/envelope.js';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import { createKeyRotation } from '../../src/crypto/rotation.js';
import { TABLES } from '../../src/crypto/rotation-tables.js';
import { credentialSecretPlace } from '../../src/crypto/secret-box.js';
import { createRuntime } from '../../src/main.js';
import { promoteKey } from '../../src/crypto/primary.js';
import type { Db } from '../../src/store/db.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Fakes, importCase, startFakes } from '../health/support.js';
import { type Client, type Harness, TEST_MASTER_KEYS, startHarness, testConfig } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const NEW = `new:${randomBytes(32).toString('base64')}`;
const GONE = parseMasterKeys(`gone:${randomBytes(32).toString('base64')}`);
const ENVELOPE = /(^|")v1\.([A-Za-z0-9_-]{1,32})\./;

/** Every (table.column) of the schema whose values hold at least one envelope, with envelope counts per kid. */
async function scanEnvelopes(db: Db): Promise<{ columns: Set<string>; byKid: Map<string, number> }> {
  const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = current_schema() and data_type in ('text', 'jsonb', 'character varying', 'json')`.execute(db);
  const columns = new Set<string>();
  const byKid = new Map<string, number>();
  for (const c of cols.rows) {
    const rows = await sql<{ v: string }>`select ${sql.id(c.column_name)}::text as v from ${sql.id(c.table_name)}
      where ${sql.id(c.column_name)}::text like '%v1.%'`.execute(db);
    for (const { v } of rows.rows) {
      const strings: string[] = c.data_type.startsWith('json') ? jsonStrings(JSON.parse(v) as unknown) : [v];
      for (const s of strings) {
        const m = ENVELOPE.exec(s);
        if (!m || m.index !== 0 || !s.startsWith('v1.')) continue;
        columns.add(`${c.table_name}.${c.column_name}`);
        const kid = m[2] ?? '?';
        byKid.set(kid, (byKid.get(kid) ?? 0) + 1);
      }
    }
  }
  return { columns, byKid };
}

function jsonStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(jsonStrings);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(jsonStrings);
  return [];
}

const DESCRIBED = new Set(TABLES.flatMap((t) => t.cols.map((c) => `${t.name}.${c.name}`)));

describe.each(STORE_KINDS)('key rotation covers every envelope column on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let c: Client;
  let auth0Id: string;
  beforeAll(async () => {
    fakes = await startFakes();
    h = await startHarness(store, { ...fakes.env, CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example' });
    c = await h.newAccount();
    const auth0 = CASES.find((x) => x.provider === 'auth0');
    const github = CASES.find((x) => x.provider === 'github');
    if (!auth0 || !github) throw new Error('cases');
    auth0Id = await importCase(c, auth0, auth0.seed(fakes.byProvider.auth0));
    const ghId = await importCase(c, github, github.seed(fakes.byProvider.github));
    // Minted tokens are cached sealed in credentials.cached_token.
    for (const id of [auth0Id, ghId])
      expect((await c.req('POST', `/v1/credentials/${id}/access-token`)).statusCode).toBe(200);
    // An idempotent request stores its answer sealed.
    const res = await c.req(
      'POST',
      '/v1/credentials',
      { properties: { kind: 'stripe_key', secret: 'sk_test_rotation0001', account_id: 'acct_rot' } },
      { 'idempotency-key': 'rot-1' },
    );
    expect(res.statusCode).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  it('the rotation descriptors name exactly the columns holding envelopes, cached_token among them', async () => {
    const { columns } = await scanEnvelopes(h.rt.store.db);
    expect(columns).toContain('credentials.cached_token');
    expect([...columns].filter((c2) => !DESCRIBED.has(c2))).toEqual([]);
    // And every descriptor names a real column.
    const real = await sql<{
      c: string;
    }>`select table_name || '.' || column_name as c from information_schema.columns where table_schema = current_schema()`.execute(
      h.rt.store.db,
    );
    const names = new Set(real.rows.map((r) => r.c));
    expect([...DESCRIBED].filter((d) => !names.has(d))).toEqual([]);
  });

  it('status counts, rewrap moves and retire waits for cached tokens; after the old key is gone they still open', async () => {
    const db = h.rt.store.db;
    const ring = parseMasterKeys(`${NEW},${TEST_MASTER_KEYS}`);
    const rotation = createKeyRotation({ db, keyring: ring });
    const scanned = await scanEnvelopes(db);
    const status = await rotation.keyStatus();
    const test1 = status.keys.find((k) => k.kid === 'test1');
    expect(test1?.secrets).toBe(scanned.byKid.get('test1'));
    const cachedCount = await db
      .selectFrom('credentials')
      .select(db.fn.countAll<number>().as('n'))
      .where('cached_token', 'is not', null)
      .executeTakeFirstOrThrow();
    expect(Number(cachedCount.n)).toBeGreaterThanOrEqual(2);

    // `keys promote new`: the harness node (test1 only) runs no heartbeat, so two minutes on it is
    // no longer live and the promotion goes through (while live it would be refused, crypto/primary.ts).
    await expect(promoteKey(db, 'new', ring, new Date())).rejects.toThrow(/do not hold key "new"/);
    await promoteKey(db, 'new', ring, new Date(Date.now() + 120_000));
    const result = await rotation.rewrap({ batchSize: 2 });
    expect(result.failed).toBe(0);
    expect(result.remaining).toBe(0);
    const after = await scanEnvelopes(db);
    expect(after.byKid.get('test1') ?? 0).toBe(0);
    expect(after.byKid.get('new')).toBe(scanned.byKid.get('test1'));
    expect((await rotation.retire('test1')).kid).toBe('test1');

    // A node with only the new key: the cached tokens still open, nothing answers 500.
    const minted = fakes.byProvider.auth0.calls.count('token');
    const rt = await createRuntime(
      testConfig({ ...fakes.env, CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example', CREDVAULT_MASTER_KEYS: NEW }),
      { store: h.testStore.store, log: pino({ level: 'silent' }) },
    );
    try {
      const res = await rt.app.inject({
        method: 'POST',
        url: `/v1/credentials/${auth0Id}/access-token`,
        headers: { authorization: `Bearer ${c.token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(fakes.byProvider.auth0.calls.count('token')).toBe(minted);
    } finally {
      await rt.close();
    }
  });

  it('a cached token that cannot be opened is minted again', async () => {
    const db = h.rt.store.db;
    const row = await db.selectFrom('credentials').selectAll().where('id', '=', auth0Id).executeTakeFirstOrThrow();
    const lost = encryptSecret(
      GONE,
      'unreadable',
      credentialSecretPlace(row.account_id, row.provider, row.identity, 'cached_token'),
    );
    await db
      .updateTable('credentials')
      .set({ cached_token: lost, token_expires_at: new Date(Date.now() + 3600_000) })
      .where('id', '=', auth0Id)
      .execute();
    const rt = await createRuntime(
      testConfig({ ...fakes.env, CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example', CREDVAULT_MASTER_KEYS: NEW }),
      { store: h.testStore.store, log: pino({ level: 'silent' }) },
    );
    try {
      const res = await rt.app.inject({
        method: 'POST',
        url: `/v1/credentials/${auth0Id}/access-token`,
        headers: { authorization: `Bearer ${c.token}` },
      });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { access_token: string }).access_token).not.toBe('unreadable');
      const check = await rt.app.inject({
        method: 'POST',
        url: `/v1/credentials/${auth0Id}/check`,
        headers: { authorization: `Bearer ${c.token}` },
      });
      expect(check.statusCode).toBe(200);
      const stored = await db
        .selectFrom('credentials')
        .select('cached_token')
        .where('id', '=', auth0Id)
        .executeTakeFirstOrThrow();
      expect(stored.cached_token?.startsWith('v1.new.')).toBe(true);
    } finally {
      await rt.close();
    }
  });
});
