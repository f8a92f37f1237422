/**
 * One tenant's slow host must not starve everyone's background checks (issue 13 item 7): an
 * account with many credentials on a host that never answers has at most its allowance of rows
 * whose provider work is pending (leased, and not a timed-out call whose result waits for its
 * group commit), another account's first checks run at once (asserted on counts: how many calls
 * reached the hanging host before the other account was checked), and after repeated timeouts
 * the host's rows wait without being sent. Both stores.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from '../health/support.js';

const PER_ACCOUNT = 4;
// More than a node claims at once (64): a claim in due order would take only the slow tenant's rows.
const A_ROWS = 150;

describe.each(STORE_KINDS)('fair background claims on %s', (store) => {
  let fakes: Fakes;
  let hang: Server;
  let hangingCalls = 0;
  /** Calls to the hanging host that the scheduler gave up on (their connection closed). */
  let hangingClosed = 0;
  let h: Harness;
  let a: Client;
  let b: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    // Accepts every request and never answers it.
    hang = createServer((req) => {
      hangingCalls += 1;
      req.socket.once('close', () => {
        hangingClosed += 1;
      });
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hang.address() as AddressInfo).port}`;
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_PROVIDER_URL_AUTH0: url,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1500',
      CREDVAULT_PROVIDER_CONCURRENCY: '2',
      CREDVAULT_ACCOUNT_IN_FLIGHT: String(PER_ACCOUNT),
    });
    a = await h.newAccount('slow tenant');
    b = await h.newAccount('other tenant');
    const items = Array.from({ length: A_ROWS }, (_, i) => ({
      properties: {
        kind: 'auth0_client_credentials',
        domain: 'hang.us.auth0.com',
        client_id: `hang-${i}`,
        client_secret: `cs-${i}`,
      },
    }));
    const bulk = await a.json<{ results: Array<{ status: number }> }>('POST', '/v1/credentials/bulk', { items });
    expect(bulk.body.results.every((r) => r.status === 200)).toBe(true);
    for (const n of [1, 2]) {
      const key = `sk_test_fair${n}`;
      fakes.byProvider.stripe.state.addAccessToken(key, { account_id: `acct_fair${n}` });
      expect(
        (
          await b.req('POST', '/v1/credentials', {
            properties: { kind: 'stripe_key', secret: key, account_id: `acct_fair${n}` },
          })
        ).statusCode,
      ).toBe(200);
    }
    // The slow tenant's rows are the most overdue: a claim in due order takes them all first.
    await h.rt.store.db
      .updateTable('credentials')
      .set({ next_check_at: sql`now() - interval '1 hour'` })
      .where('account_id', '=', a.accountId)
      .execute();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    hang?.closeAllConnections();
    await new Promise((r) => hang?.close(r));
    await fakes?.close();
  });

  const statuses = async (accountId: string) => {
    const rows = await h.rt.store.db
      .selectFrom('credentials')
      .select(['health', 'lease_owner', 'lease_expires_at', 'next_check_at'])
      .where('account_id', '=', accountId)
      .execute();
    return rows;
  };
  async function until(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await cond()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return cond();
  }

  it('another account is checked while the slow one waits; the slow host is backed off', async () => {
    h.rt.health.scheduler.start();
    try {
      const bDone = await until(
        async () => (await statuses(b.accountId)).every((r) => (r.health as { status?: string }).status === 'ok'),
        40_000,
      );
      const callsWhenBDone = hangingCalls;
      expect(bDone).toBe(true);
      // At most the slow account's allowance reached the hanging host (twice, for slow machines).
      expect(callsWhenBDone).toBeLessThanOrEqual(2 * PER_ACCOUNT);
      // The allowance bounds the slow account's rows with provider work pending. A call that
      // timed out frees its slot while its result waits for the group commit (its lease is held
      // until the result is written): those are the closed calls whose timeout is not written yet.
      const snapshot = await statuses(a.accountId);
      const leasedNow = snapshot.filter(
        (r) =>
          r.lease_owner !== null && r.lease_expires_at !== null && new Date(r.lease_expires_at).getTime() > Date.now(),
      ).length;
      const timeoutsWritten = snapshot.filter((r) => (r.health as { reason?: unknown }).reason === 'timeout').length;
      const awaitingCommit = hangingClosed - timeoutsWritten;
      expect(awaitingCommit).toBeGreaterThanOrEqual(0);
      expect(leasedNow - awaitingCommit).toBeLessThanOrEqual(PER_ACCOUNT);

      // After repeated timeouts the host's rows are put off unsent: due later, health untouched.
      const deferred = async () =>
        (await statuses(a.accountId)).filter(
          (r) =>
            r.next_check_at !== null &&
            new Date(r.next_check_at).getTime() > Date.now() + 10_000 &&
            (r.health as { reason?: unknown }).reason === undefined,
        ).length;
      expect(await until(async () => (await deferred()) >= 10, 40_000)).toBe(true);
      // Fewer calls than rows handled: the deferred ones never reached the host.
      expect(hangingCalls).toBeLessThan(A_ROWS - 10);
      const timedOut = (await statuses(a.accountId)).filter(
        (r) => (r.health as { reason?: unknown }).reason === 'timeout',
      ).length;
      expect(timedOut).toBeLessThanOrEqual(hangingCalls);
    } finally {
      await h.rt.health.scheduler.stop();
    }
  }, 120_000);
});
