/**
 * At least once across crashes (kill -9): 1,000 changes while a node is killed mid-delivery and
 * restarted, with a second node beside it on PostgreSQL (the embedded store: one node, killed and
 * restarted on its data directory). Every event arrives, verified with standardwebhooks; the
 * duplicates are counted and reported.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createCredvaultClient, unwrap } from '../../src/client/index.js';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import { type ChildNode, startChildNode } from '../support/child.js';
import { BOOTSTRAP_TOKEN } from '../support/harness.js';
import { createTestDatabase } from '../support/stores.js';
import { assertBuilt, runCliProcess } from '../cli/live.js';
import { TEST_MASTER_KEYS } from '../support/harness.js';

const CHANGES = 1000;

async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 180_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** 1,000 changes through the API: bulk imports (80 %), then patches and deletes of some of them. */
async function makeChanges(url: string): Promise<void> {
  const client = createCredvaultClient({ url, token: BOOTSTRAP_TOKEN });
  const imports = CHANGES * 0.8;
  const ids: string[] = [];
  for (let b = 0; b < imports / 100; b++) {
    const items = Array.from({ length: 100 }, (_, i) => ({
      properties: {
        kind: 'stripe_key' as const,
        secret: `sk_live_crash_${b}_${i}_abcdefghij`,
        account_id: `acct_crash_${b}_${i}`,
      },
    }));
    const res = await unwrap(client.POST('/v1/credentials/bulk', { body: { items } }));
    for (const r of res.results) if ('credential' in r && r.credential) ids.push(r.credential.id);
  }
  for (const id of ids.slice(0, (CHANGES - imports) / 2))
    await unwrap(client.PATCH('/v1/credentials/{id}', { params: { path: { id } }, body: { name: 'patched' } }));
  for (const id of ids.slice(-(CHANGES - imports) / 2))
    await unwrap(client.DELETE('/v1/credentials/{id}', { params: { path: { id } } }));
}

describe.each(['postgres', 'pglite'] as const)('webhook delivery across kill -9 on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('every event is delivered at least once; duplicates are counted', async () => {
    assertBuilt();
    const rx: Receiver = await startReceiver({ delayMs: 3 });
    cleanups.push(() => rx.close());
    let env: Record<string, string>;
    let countEvents: () => Promise<string[]>;
    if (kind === 'postgres') {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      env = { DATABASE_URL: database.url };
      countEvents = async () => {
        const c = new pg.Client({ connectionString: database.url });
        await c.connect();
        try {
          return (await c.query<{ id: string }>("select id from events where type like 'credential.%'")).rows.map(
            (r) => r.id,
          );
        } finally {
          await c.end();
        }
      };
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'credvault-crash-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      env = { CREDVAULT_DATA_DIR: dir };
      countEvents = async () => [];
      // Create the embedded database first (slow on a busy machine), so each serve starts quickly.
      const migrated = await runCliProcess(['migrate'], {
        CREDVAULT_DATA_DIR: dir,
        CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
      });
      expect(migrated.code, migrated.stderr).toBe(0);
    }
    Object.assign(env, {
      CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin,
      CREDVAULT_WEBHOOK_LEASE_SECONDS: '3',
      LOG_LEVEL: 'error',
    });

    const nodes: ChildNode[] = [];
    const start = async () => {
      const n = await startChildNode(env);
      nodes.push(n);
      cleanups.push(() => n.stop());
      return n;
    };
    const a = await start();
    // PostgreSQL: the changes go through the second node, so killing A interrupts only deliveries.
    const b = kind === 'postgres' ? await start() : a;
    const admin = createCredvaultClient({ url: a.url, token: BOOTSTRAP_TOKEN });
    const ep = await unwrap(
      admin.POST('/v1/webhook-endpoints', { body: { url: `${rx.origin}/crash`, event_types: ['credential.*'] } }),
    );
    rx.trust(ep.secret);

    // Settled at once: on the embedded store the kill interrupts them (then they run again on the restarted node).
    const changesDone = makeChanges(b.url).then(
      () => true,
      () => false,
    );
    // Kill node A with deliveries in flight, then restart it.
    await until('the first deliveries', () => rx.received.length >= 50 && rx.open() > 0);
    const openAtKill = rx.open();
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const restarted = await start();
    const ok = await changesDone;
    if (!ok) await makeChanges(restarted.url).catch(() => undefined);

    // Every event the database holds (the embedded store: as the restarted node answers).
    const client = createCredvaultClient({ url: restarted.url, token: BOOTSTRAP_TOKEN });
    const eventIds = async (): Promise<string[]> => {
      if (kind === 'postgres') return countEvents();
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await unwrap(
          client.GET('/v1/events', {
            params: {
              query: { since: '2000-01-01T00:00:00Z', limit: 500, type: 'credential.*', ...(cursor ? { cursor } : {}) },
            },
          }),
        );
        ids.push(...page.data.map((e) => e.id));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return ids;
    };
    let expected: string[] = [];
    await until('every event delivered', async () => {
      expected = await eventIds();
      const got = new Set(rx.received.map((r) => r.id));
      return expected.length >= CHANGES && expected.every((id) => got.has(id));
    });
    expect(expected.length).toBeGreaterThanOrEqual(CHANGES);
    expect(rx.received.every((r) => r.verifiedWith.length === 1)).toBe(true);
    expect(rx.received.some((r) => r.body.includes('sk_live_crash'))).toBe(false);
    const duplicates = rx.received.length - new Set(rx.received.map((r) => r.id)).size;
    console.log(
      `[crash ${kind}] events=${expected.length} deliveries=${rx.received.length} duplicates=${duplicates} (${((100 * duplicates) / expected.length).toFixed(2)} %), requests open at the kill=${openAtKill}, nodes=${kind === 'postgres' ? 2 : 1}`,
    );
  }, 300_000);
});
