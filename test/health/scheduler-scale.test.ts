/**
 * Issue 3: two nodes on one PostgreSQL, 10,000 due credentials, both schedulers running at
 * once: the provider sees each credential exactly once per period, every credential ends `ok`,
 * and a second pass right after finds nothing due.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, createRuntime } from '../../src/main.js';
import { openStore } from '../../src/store/db.js';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { BOOTSTRAP_TOKEN, captureLogger, testConfig } from '../support/harness.js';
import { type TestStore, openTestStore } from '../support/stores.js';

const COUNT = 10_000;
const BULK = 1000;

describe('scheduler across two nodes on PostgreSQL', () => {
  let fake: FakeProvider;
  let testStore: TestStore;
  let a: Runtime;
  let b: Runtime;
  const logs: string[][] = [];

  beforeAll(async () => {
    fake = await startFakeProvider('stripe');
    testStore = await openTestStore('postgres');
    const env = { CREDVAULT_PROVIDER_URL_STRIPE: fake.url, CREDVAULT_PROVIDER_TIMEOUT_MS: '5000' };
    const logA = captureLogger();
    a = await createRuntime(testConfig(env), { store: testStore.store, log: logA.log, nodeId: 'node-a' });
    // The second node opens its own pool on the same database, as another process would.
    const storeB = await openStore({ databaseUrl: testStore.url, poolSize: 10 });
    const logB = captureLogger();
    b = await createRuntime(testConfig(env), { store: storeB, log: logB.log, nodeId: 'node-b' });
    logs.push(logA.lines, logB.lines);
  });
  afterAll(async () => {
    await a?.health.scheduler.stop();
    await b?.health.scheduler.stop();
    await b?.close();
    await b?.store.close();
    await a?.close();
    await testStore?.close();
    await fake?.close();
  });

  it(`checks each of ${COUNT} due credentials exactly once per period`, async () => {
    const keys: string[] = [];
    for (let start = 0; start < COUNT; start += BULK) {
      const items = [];
      for (let i = start; i < start + BULK; i++) {
        const key = `sk_test_${MARKER}_scale_${i}`;
        const account = `acct_scale${i}`;
        fake.state.addAccessToken(key, { account_id: account });
        keys.push(key);
        items.push({ properties: { kind: 'stripe_key', secret: key, account_id: account } });
      }
      const res = await a.app.inject({
        method: 'POST',
        url: '/v1/credentials/bulk',
        headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ items }),
      });
      expect(res.statusCode).toBe(200);
      const results = (res.json() as { results: Array<{ status: number }> }).results;
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
    }
    const db = a.store.db;
    const due = await db
      .selectFrom('credentials')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('next_check_at', '<=', new Date())
      .executeTakeFirstOrThrow();
    expect(Number(due.n)).toBe(COUNT);

    // Both schedulers run at once, as they do in `serve`, until every credential is checked.
    const t0 = Date.now();
    a.health.scheduler.start();
    b.health.scheduler.start();
    // A liveness bound, not a speed target (bench/scheduler.ts measures speed): on a loaded
    // 2-core machine 10,000 checks with fair claims and health events take over a minute.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const done = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('health_status', '!=', 'pending')
        .where('lease_owner', 'is', null)
        .executeTakeFirstOrThrow();
      if (Number(done.n) >= COUNT) break;
      if (Date.now() > deadline) throw new Error(`only ${done.n} of ${COUNT} checked after 240 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all([a.health.scheduler.stop(), b.health.scheduler.stop()]);
    const elapsed = Date.now() - t0;

    // Exactly once each: the fake saw every key once, and nothing else.
    const perKey = new Map<string, number>();
    for (const r of fake.calls.requests) {
      const auth = r.headers.authorization ?? '';
      perKey.set(auth, (perKey.get(auth) ?? 0) + 1);
    }
    expect(fake.calls.count('account')).toBe(COUNT);
    expect(fake.calls.requests.length).toBe(COUNT);
    expect(keys.filter((k) => perKey.get(`Bearer ${k}`) !== 1)).toEqual([]);

    // Both nodes did part of the work (each `ok` row was last written under one node's lease).
    const statuses = await db
      .selectFrom('credentials')
      .select((eb) => ['health_status', eb.fn.countAll<number>().as('n')])
      .groupBy('health_status')
      .execute();
    expect(statuses.map((s) => [s.health_status, Number(s.n)])).toEqual([['ok', COUNT]]);
    const a0 = a.health.scheduler.stats().checked;
    const b0 = b.health.scheduler.stats().checked;
    expect(a0 + b0).toBe(COUNT);
    expect(a0).toBeGreaterThan(0);
    expect(b0).toBeGreaterThan(0);

    // Nothing is due until the next period: a second pass on both nodes calls nobody.
    const notDue = await db
      .selectFrom('credentials')
      .select((eb) => eb.fn.min('next_check_at').as('first'))
      .executeTakeFirstOrThrow();
    // Every check ran after t0 and set its next one at least 0.9 × the 6 h interval later (jitter
    // ±10 %): a bound that holds however long the checks took on a loaded machine.
    expect(new Date(notDue.first ?? 0).getTime()).toBeGreaterThanOrEqual(t0 + 0.9 * 6 * 3600 * 1000);
    await Promise.all([a.health.scheduler.drain(), b.health.scheduler.drain()]);
    expect(fake.calls.requests.length).toBe(COUNT);
    expect(a.health.scheduler.stats().checked + b.health.scheduler.stats().checked).toBe(COUNT);

    for (const lines of logs) expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    console.log(
      `two nodes checked ${COUNT} credentials in ${(elapsed / 1000).toFixed(1)} s (node-a ${a0}, node-b ${b0})`,
    );
  }, 400_000);
});
