/**
 * The encryption ledger (security.md C5): every seal counts against its master key, summed over
 * nodes and restarts in the database; a failed recording loses nothing; operators are warned
 * long before AES-GCM's ~2^32 encryptions per key. Both stores (two nodes on PostgreSQL).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptSecret } from '../../src/crypto/envelope.js';
import { ENCRYPTION_ROTATE_THRESHOLD, parseMasterKeys } from '../../src/crypto/keyring.js';
import { createEncryptionLedger, recordedEncryptions } from '../../src/crypto/ledger.js';
import { createKeyRotation } from '../../src/crypto/rotation.js';
import { systemClock } from '../../src/lib/clock.js';
import { createRuntime } from '../../src/main.js';
import { migrate } from '../../src/store/migrate.js';
import { openStore } from '../../src/store/db.js';
import { MARKER } from '../fakes/state.js';
import { type Harness, TEST_MASTER_KEYS, captureLogger, startHarness, testConfig } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const PRIMARY = TEST_MASTER_KEYS.split(':')[0] ?? '';
const stripe = (n: string) => ({
  properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_${n}`, account_id: `acct_ledger${n}` },
});

describe.each(STORE_KINDS)('encryption ledger on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  const recorded = async () => (await recordedEncryptions(h.rt.store.db)).get(PRIMARY) ?? 0;

  it('counts every seal against the primary key, in the database', async () => {
    const c = await h.newAccount();
    await h.rt.ledger.record();
    const before = await recorded();
    const items = Array.from({ length: 25 }, (_, i) => stripe(`b${i}`));
    const bulk = await c.json<{ results: Array<{ status: number }> }>('POST', '/v1/credentials/bulk', { items });
    expect(bulk.body.results.every((r) => r.status === 200)).toBe(true);
    for (let i = 0; i < 5; i++) expect((await c.req('POST', '/v1/credentials', stripe(`s${i}`))).statusCode).toBe(200);
    // Not yet recorded: counted in memory until the next recording.
    expect(await recorded()).toBe(before);
    await h.rt.ledger.record();
    expect((await recorded()) - before).toBe(30);
    // Recording twice adds nothing the second time.
    await h.rt.ledger.record();
    expect((await recorded()) - before).toBe(30);
  });

  it('keys status shows the count and, from 2^31 encryptions, says to rotate; the node warns in its log', async () => {
    const c = await h.newAccount();
    const db = h.rt.store.db;
    await h.rt.ledger.record();
    await sql`update key_encryptions set encryptions = ${ENCRYPTION_ROTATE_THRESHOLD - 1} where kid = ${PRIMARY}`.execute(
      db,
    );
    const rotation = createKeyRotation({ db, keyring: parseMasterKeys(TEST_MASTER_KEYS) });
    const below = (await rotation.keyStatus()).keys.find((k) => k.kid === PRIMARY);
    expect(below).toMatchObject({ encryptions: ENCRYPTION_ROTATE_THRESHOLD - 1, rotateSoon: false });

    expect((await c.req('POST', '/v1/credentials', stripe('t1'))).statusCode).toBe(200);
    await h.rt.ledger.record();
    const at = (await rotation.keyStatus()).keys.find((k) => k.kid === PRIMARY);
    expect(at).toMatchObject({ encryptions: ENCRYPTION_ROTATE_THRESHOLD, rotateSoon: true });
    const warning = h.logs.filter(
      (l) => l.includes('"level":40') && l.includes(`master key \\"${PRIMARY}\\" has sealed`),
    );
    expect(warning).toHaveLength(1);
    expect(warning[0]).toContain('credvault keys rewrap');
    // Once per node: the next recording does not repeat it.
    expect((await c.req('POST', '/v1/credentials', stripe('t2'))).statusCode).toBe(200);
    await h.rt.ledger.record();
    expect(h.logs.filter((l) => l.includes(`master key \\"${PRIMARY}\\" has sealed`))).toHaveLength(1);
    for (const line of h.logs) expect(line).not.toContain(MARKER);
    await sql`update key_encryptions set encryptions = 0 where kid = ${PRIMARY}`.execute(db);
  });

  it('a failed recording keeps its counts for the next one', async () => {
    // A fresh database whose table does not exist yet: the first recording fails.
    const kid = `k${randomBytes(3).toString('hex')}`;
    const ring = parseMasterKeys(`${kid}:${randomBytes(32).toString('base64')}`);
    const s =
      store === 'pglite'
        ? await openStore({ dataDir: 'memory://' })
        : h.testStore.url
          ? await openStore({ databaseUrl: h.testStore.url, poolSize: 1 })
          : undefined;
    if (!s) throw new Error('no store');
    try {
      if (store === 'postgres') await sql`alter table key_encryptions rename to key_encryptions_away`.execute(s.db);
      const ledger = createEncryptionLedger({ db: s.db, keyring: ring, clock: systemClock });
      for (let i = 0; i < 7; i++) encryptSecret(ring, `secret-${i}`, { accountId: 'a', rowId: 'r', field: `f${i}` });
      await expect(ledger.record()).rejects.toThrow();
      for (let i = 0; i < 3; i++) encryptSecret(ring, `secret-${i}`, { accountId: 'a', rowId: 'r', field: `g${i}` });
      if (store === 'postgres') await sql`alter table key_encryptions_away rename to key_encryptions`.execute(s.db);
      else await migrate(s.db);
      await ledger.stop();
      expect((await recordedEncryptions(s.db)).get(kid)).toBe(10);
    } finally {
      await s.close();
    }
  });
});

describe('encryption ledger across nodes', () => {
  it('two nodes on one PostgreSQL add up, and a node records what is left when it closes', async () => {
    const { createTestDatabase } = await import('../support/stores.js');
    const database = await createTestDatabase();
    const { log } = captureLogger('warn');
    const nodes = [];
    try {
      for (let i = 0; i < 2; i++) nodes.push(await createRuntime(testConfig({ DATABASE_URL: database.url }), { log }));
      const [a, b] = nodes;
      if (!a || !b) throw new Error('nodes');
      // Booting seals too (the key canary, even when it exists already): record that first.
      await a.ledger.record();
      await b.ledger.record();
      const before = (await recordedEncryptions(a.store.db)).get(PRIMARY) ?? 0;
      const headers = {
        authorization: `Bearer ${a.bootstrapToken ?? 'bootstrap-token-for-tests-0123456789abcdef'}`,
        'content-type': 'application/json',
      };
      for (const [n, node] of [a, b].entries()) {
        for (let i = 0; i < 4; i++) {
          const res = await node.app.inject({
            method: 'POST',
            url: '/v1/credentials',
            headers,
            payload: stripe(`n${n}-${i}`),
          });
          expect(res.statusCode).toBe(200);
        }
      }
      await b.close();
      nodes.pop();
      await a.ledger.record();
      expect(((await recordedEncryptions(a.store.db)).get(PRIMARY) ?? 0) - before).toBe(8);
    } finally {
      for (const n of nodes) await n.close();
      await database.drop();
    }
  });
});
