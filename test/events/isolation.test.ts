/** One dead endpoint never delays the others: per-endpoint concurrency with the worker running. Both stores. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

/** A receiver that reads each request and never answers. */
async function startBlackHole() {
  let arrived = 0;
  let open = 0;
  let peak = 0;
  const server = http.createServer((req) => {
    arrived += 1;
    open += 1;
    peak = Math.max(peak, open);
    req.resume();
    req.once('close', () => (open -= 1));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    stats: () => ({ arrived, open, peak }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.each(STORE_KINDS)('endpoint isolation on %s', (store) => {
  let h: Harness;
  let rx: Receiver;
  let hole: Awaited<ReturnType<typeof startBlackHole>>;
  beforeAll(async () => {
    rx = await startReceiver();
    hole = await startBlackHole();
    h = await startHarness(store, { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: `${rx.origin},${hole.origin}` });
  });
  afterAll(async () => {
    await hole?.close();
    await h?.close();
    await rx?.close();
  });

  it('a healthy endpoint gets every event while a dead one holds at most 4 requests and gets no answer', async () => {
    const dead = await h.admin.json<{ id: string }>('POST', '/v1/webhook-endpoints', { url: `${hole.origin}/dead` });
    const live = await h.admin.json<{ id: string; secret: string }>('POST', '/v1/webhook-endpoints', {
      url: `${rx.origin}/live`,
    });
    expect([dead.status, live.status]).toEqual([201, 201]);
    rx.trust(live.body.secret);
    const items = Array.from({ length: 40 }, (_, i) => ({
      properties: { kind: 'stripe_key', secret: `sk_live_isolation_${i}_0123456789`, account_id: `acct_iso_${i}` },
    }));
    expect((await h.admin.req('POST', '/v1/credentials/bulk', { items })).statusCode).toBe(200);
    h.rt.deliveries.start();
    const deadline = Date.now() + 60_000;
    while (rx.received.filter((r) => r.verifiedWith.length === 1).length < 40 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(new Set(rx.received.map((r) => r.id)).size).toBe(40);
    const s = hole.stats();
    expect(s.arrived).toBeGreaterThanOrEqual(1);
    expect(s.peak).toBeLessThanOrEqual(4);
    // The dead endpoint's deliveries are still pending (not sent twice, not lost).
    const pending = await h.rt.store.db
      .selectFrom('webhook_deliveries')
      .select('status')
      .where('endpoint_id', '=', dead.body.id)
      .execute();
    expect(pending.filter((p) => p.status === 'pending')).toHaveLength(40);
    await hole.close();
    await h.rt.deliveries.stop();
  });
});
