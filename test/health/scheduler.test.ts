/**
 * The scheduler (issue 3) over HTTP against fake providers: a check soon after each import
 * (the import answer does not wait), the routine interval with ±10 % jitter, exponential
 * backoff on transient failures, bounded concurrency per provider, and a claim that reads only
 * due rows. A delaying proxy in front of each fake holds answers and counts requests in flight.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialRepository } from '../../src/credentials/repository/index.js';
import type { Db } from '../../src/store/db.js';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Health = {
  status: string;
  reason: string | null;
  notes: string[];
  time: string;
  checked_at: string | null;
  next_check_at: string | null;
  consecutive_failures: number;
};
type Cred = { id: string; properties: Record<string, unknown>; health: Health };
type Bulk = { results: Array<{ status: number; credential: Cred }> };

const INTERVAL_S = 6 * 3600;
const CONCURRENCY = 3;

/** In front of a fake provider: holds each request `delayMs`, then forwards it; counts requests in flight. */
async function startDelayProxy(upstream: string) {
  const state = { delayMs: 0, inFlight: 0, peak: 0, arrived: [] as string[], answered: [] as string[] };
  const server = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    state.arrived.push(auth);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
        fetch(`${upstream}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) })
          .then(async (r) => ({
            status: r.status,
            type: r.headers.get('content-type') ?? 'application/json',
            text: await r.text(),
          }))
          .catch(() => ({ status: 502, type: 'text/plain', text: 'proxy: upstream failed' }))
          .then((r) => {
            state.inFlight -= 1;
            state.answered.push(auth);
            res.writeHead(r.status, { 'content-type': r.type });
            res.end(r.text);
          });
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    /** Requests that carried `key` as their Bearer token (arrived / answered). */
    arrivedFor: (key: string) => state.arrived.filter((a) => a === `Bearer ${key}`).length,
    answeredFor: (key: string) => state.answered.filter((a) => a === `Bearer ${key}`).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type DelayProxy = Awaited<ReturnType<typeof startDelayProxy>>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Seconds between two ISO times (or Dates). */
const secondsBetween = (from: string | Date, to: string | Date) =>
  (new Date(to).getTime() - new Date(from).getTime()) / 1000;

describe.each(STORE_KINDS)('scheduler on %s', (store) => {
  let stripe: FakeProvider;
  let sendgrid: FakeProvider;
  let stripeProxy: DelayProxy;
  let sendgridProxy: DelayProxy;
  let h: Harness;
  let c: Client;
  let n = 0;

  beforeAll(async () => {
    stripe = await startFakeProvider('stripe');
    sendgrid = await startFakeProvider('sendgrid');
    stripeProxy = await startDelayProxy(stripe.url);
    sendgridProxy = await startDelayProxy(sendgrid.url);
    h = await startHarness(store, {
      CREDVAULT_PROVIDER_URL_STRIPE: stripeProxy.url,
      CREDVAULT_PROVIDER_URL_SENDGRID: sendgridProxy.url,
      CREDVAULT_PROVIDER_CONCURRENCY: String(CONCURRENCY),
      CREDVAULT_PROVIDER_TIMEOUT_MS: '5000',
    });
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.rt.health.scheduler.stop();
    await h?.close();
    await stripeProxy?.close();
    await sendgridProxy?.close();
    await stripe?.close();
    await sendgrid?.close();
  });

  /** A Stripe key the fake accepts, and its import body. */
  function stripeKey() {
    n += 1;
    const key = `sk_test_${MARKER}_sched_${n}`;
    const account = `acct_sched${n}`;
    stripe.state.addAccessToken(key, { account_id: account });
    return { key, account, body: { properties: { kind: 'stripe_key', secret: key, account_id: account } } };
  }

  function sendgridKey() {
    n += 1;
    const key = `SG.${MARKER}_sched_${n}`;
    sendgrid.state.addAccessToken(key, { scopes: ['mail.send'] });
    return { key, body: { properties: { kind: 'sendgrid_key', api_key: key } } };
  }

  async function importMany(bodies: unknown[]): Promise<string[]> {
    const res = await c.json<Bulk>('POST', '/v1/credentials/bulk', { items: bodies });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.status)).toEqual(bodies.map(() => 200));
    return res.body.results.map((r) => r.credential.id);
  }

  async function get(id: string): Promise<Cred> {
    const res = await c.json<Cred>('GET', `/v1/credentials/${id}`);
    expect(res.status).toBe(200);
    return res.body;
  }

  async function row(id: string) {
    return h.rt.store.db
      .selectFrom('credentials')
      .select(['next_check_at', 'lease_owner', 'consecutive_failures'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  /** Time passes: the credential's next check is due now. */
  async function makeDue(id: string) {
    await h.rt.store.db
      .updateTable('credentials')
      .set({ next_check_at: new Date(Date.now() - 1000) })
      .where('id', '=', id)
      .execute();
  }

  it('checks an import soon after, and the import answer does not wait for the check', async () => {
    const { key, body } = stripeKey();
    stripeProxy.state.delayMs = 1000;
    h.rt.health.scheduler.start();
    try {
      const res = await c.json<Cred>('POST', '/v1/credentials', body);
      expect(res.status).toBe(200);
      // Answered before the provider answered the check (it holds every answer 1 s).
      expect(res.body.health.status).toBe('pending');
      expect(stripeProxy.answeredFor(key)).toBe(0);
      const answeredAt = Date.now();
      // The running scheduler was woken: the check starts at once, not at a later tick.
      await waitFor(
        'the check to reach the provider',
        async () => (stripeProxy.arrivedFor(key) > 0 ? true : undefined),
        5000,
      );
      expect(Date.now() - answeredAt).toBeLessThan(900);
      const checked = await waitFor('the check to finish', async () => {
        const cred = await get(res.body.id);
        return cred.health.status === 'pending' ? undefined : cred;
      });
      expect(checked.health.status).toBe('ok');
      expect(checked.health.checked_at).not.toBeNull();
      expect(stripeProxy.arrivedFor(key)).toBe(1);
      expect((await row(res.body.id)).lease_owner).toBeNull();
    } finally {
      await h.rt.health.scheduler.stop();
      stripeProxy.state.delayMs = 0;
    }
  });

  it('schedules the next check an interval ahead, jittered within ±10 %, and then leaves the credential alone', async () => {
    const keys = Array.from({ length: 30 }, () => stripeKey());
    const ids = await importMany(keys.map((k) => k.body));
    await h.rt.health.scheduler.drain();
    const offsets: number[] = [];
    for (const id of ids) {
      const cred = await get(id);
      expect(cred.health.status).toBe('ok');
      const { next_check_at: next, lease_owner: owner } = await row(id);
      expect(owner).toBeNull();
      if (!next || !cred.health.checked_at || !cred.health.next_check_at) throw new Error('no next check scheduled');
      // The column the scheduler reads and the health the API answers agree (to the second).
      expect(Math.abs(secondsBetween(cred.health.next_check_at, next))).toBeLessThan(1);
      const offset = secondsBetween(cred.health.checked_at, next);
      expect(offset).toBeGreaterThanOrEqual(INTERVAL_S * 0.9 - 1);
      expect(offset).toBeLessThanOrEqual(INTERVAL_S * 1.1 + 1);
      offsets.push(offset);
    }
    // Jittered: 30 credentials checked together do not all come due together again.
    expect(Math.max(...offsets) - Math.min(...offsets)).toBeGreaterThan(60);
    const before = keys.map((k) => stripeProxy.arrivedFor(k.key));
    expect(before).toEqual(keys.map(() => 1));
    await h.rt.health.scheduler.drain();
    expect(keys.map((k) => stripeProxy.arrivedFor(k.key))).toEqual(before);
  });

  it('backs off exponentially on transient failures (1 min, 2 min, 4 min) and keeps the status', async () => {
    const { key, body } = stripeKey();
    const [id = ''] = await importMany([body]);
    await h.rt.health.scheduler.drain();
    const ok = await get(id);
    expect(ok.health.status).toBe('ok');

    for (const [failures, base] of [
      [1, 60],
      [2, 120],
      [3, 240],
    ] as const) {
      await makeDue(id);
      stripe.state.force('server_error', 'account');
      await h.rt.health.scheduler.drain();
      const cred = await get(id);
      expect(cred.health.status, JSON.stringify(cred.health)).toBe('ok');
      expect(cred.health.time).toBe(ok.health.time);
      expect(cred.health.reason).toBe('provider_error');
      expect(cred.health.consecutive_failures).toBe(failures);
      expect(cred.health.notes.join(' ')).toMatch(/retry/i);
      const { next_check_at: next, consecutive_failures: column } = await row(id);
      expect(column).toBe(failures);
      if (!next || !cred.health.checked_at) throw new Error('no retry scheduled');
      // base ± 20 % jitter (checked_at is whole seconds).
      const offset = secondsBetween(cred.health.checked_at, next);
      expect(offset).toBeGreaterThanOrEqual(base * 0.8 - 1);
      expect(offset).toBeLessThanOrEqual(base * 1.2 + 1);
    }

    await makeDue(id);
    await h.rt.health.scheduler.drain();
    const recovered = await get(id);
    expect(recovered.health.status).toBe('ok');
    expect(recovered.health.reason).toBeNull();
    expect(recovered.health.consecutive_failures).toBe(0);
    const { next_check_at: next } = await row(id);
    if (!next || !recovered.health.checked_at) throw new Error('no next check scheduled');
    expect(secondsBetween(recovered.health.checked_at, next)).toBeGreaterThanOrEqual(INTERVAL_S * 0.9 - 1);
    expect(stripeProxy.arrivedFor(key)).toBe(5);
  });

  it(`runs at most ${CONCURRENCY} checks at once per provider, each provider on its own`, async () => {
    await h.rt.health.scheduler.drain();
    const stripes = Array.from({ length: 15 }, () => stripeKey());
    const grids = Array.from({ length: 15 }, () => sendgridKey());
    const ids = await importMany([...stripes.map((k) => k.body), ...grids.map((k) => k.body)]);
    stripeProxy.state.delayMs = 150;
    sendgridProxy.state.delayMs = 150;
    stripeProxy.state.peak = 0;
    sendgridProxy.state.peak = 0;
    let together = 0;
    const sampler = setInterval(() => {
      together = Math.max(together, stripeProxy.state.inFlight + sendgridProxy.state.inFlight);
    }, 5);
    try {
      await h.rt.health.scheduler.drain();
    } finally {
      clearInterval(sampler);
      stripeProxy.state.delayMs = 0;
      sendgridProxy.state.delayMs = 0;
    }
    expect(stripeProxy.state.peak).toBe(CONCURRENCY);
    expect(sendgridProxy.state.peak).toBe(CONCURRENCY);
    // The bound is per provider: both providers were worked at the same time.
    expect(together).toBeGreaterThan(CONCURRENCY);
    for (const id of ids) expect((await get(id)).health.status).toBe('ok');
    for (const k of stripes) expect(stripeProxy.arrivedFor(k.key)).toBe(1);
    for (const k of grids) expect(sendgridProxy.arrivedFor(k.key)).toBeGreaterThanOrEqual(1);
  });

  it('claims by reading only due rows: the cost of a tick follows the due credentials, not all of them', async () => {
    await h.rt.health.scheduler.drain();
    const db = h.rt.store.db;
    // 2,000 credentials not due, 5 due.
    const all: string[] = [];
    for (let i = 0; i < 2; i++) all.push(...(await importMany(Array.from({ length: 1000 }, () => stripeKey().body))));
    await db
      .updateTable('credentials')
      .set({ next_check_at: new Date(Date.now() + 3600_000) })
      .where('id', 'in', all)
      .execute();
    const due = all.slice(0, 5);
    await db
      .updateTable('credentials')
      .set({ next_check_at: new Date(Date.now() - 1000) })
      .where('id', 'in', due)
      .execute();
    await db.executeQuery(CompiledQuery.raw('analyze credentials'));

    // The exact statement the scheduler sends, captured (and rolled back).
    const claim = await captureClaim(db);
    const plan = await explainAnalyze(db, claim);
    const scans = planNodes(plan).filter((p) => p['Relation Name'] === 'credentials');
    expect(scans.map((s) => s['Node Type'])).not.toContain('Seq Scan');
    // Fair claims (issue 13 item 7) read each account's due rows through credentials_account_due,
    // once per account: EXPLAIN's row counts are per loop, so they are multiplied back.
    const dueScans = scans.filter(
      (s) => s['Index Name'] === 'credentials_due' || s['Index Name'] === 'credentials_account_due',
    );
    expect(dueScans.length, JSON.stringify(plan)).toBeGreaterThan(0);
    const total = (s: (typeof dueScans)[number], ...keys: string[]) =>
      keys.reduce((n, k) => n + Number(s[k] ?? 0), 0) * Number(s['Actual Loops'] ?? 1);
    const found = dueScans.reduce((n, s) => n + total(s, 'Actual Rows'), 0);
    const examined = dueScans.reduce(
      (n, s) => n + total(s, 'Actual Rows', 'Rows Removed by Filter', 'Rows Removed by Index Recheck'),
      0,
    );
    // Per-loop counts are rounded: allow one row per loop either way.
    const loops = dueScans.reduce((n, s) => n + Number(s['Actual Loops'] ?? 1), 0);
    expect(found).toBeGreaterThanOrEqual(due.length - loops);
    expect(examined, JSON.stringify(dueScans)).toBeLessThanOrEqual(due.length + 2 + loops);
    // The 2,000 rows that are not due are never read: far fewer rows than that are examined.
    expect(loops).toBeLessThan(50);

    await h.rt.health.scheduler.drain();
    for (const id of due) expect((await get(id)).health.status).toBe('ok');
    expect((await get(all[5] ?? '')).health.status).toBe('pending');
  });
});

class Rollback extends Error {}

/** Runs the credential repository's claim inside a rolled-back transaction and answers the SQL it sent. */
async function captureClaim(db: Db): Promise<CompiledQuery> {
  let captured: CompiledQuery | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      const capture: KyselyPlugin = {
        transformQuery: ({ node, queryId }) => {
          captured = trx.getExecutor().compileQuery(node as RootOperationNode, queryId);
          return node;
        },
        transformResult: async ({ result }) => result,
      };
      await createCredentialRepository(trx.withPlugin(capture)).claimDue('explain-probe', 60_000, 32);
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  if (!captured) throw new Error('the claim sent no statement');
  return captured;
}

type PlanNode = Record<string, unknown> & { Plans?: PlanNode[] };

async function explainAnalyze(db: Db, q: CompiledQuery): Promise<PlanNode> {
  let plan: PlanNode | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      const res = await trx.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(`explain (analyze, format json) ${q.sql}`, [...q.parameters]),
      );
      const raw = res.rows[0]?.['QUERY PLAN'];
      const json = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      plan = json[0]?.Plan;
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
  if (!plan) throw new Error('no plan');
  return plan;
}

function planNodes(p: PlanNode): PlanNode[] {
  return [p, ...(p.Plans ?? []).flatMap(planNodes)];
}
