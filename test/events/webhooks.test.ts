/** Webhook endpoints and signed deliveries to a receiver on 127.0.0.1 (standardwebhooks verifier). Both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountService } from '../../src/accounts/service.js';
import { createAuditService } from '../../src/audit/service.js';
import { SCOPES } from '../../src/accounts/tokens.js';
import { systemClock } from '../../src/lib/clock.js';
import { RETRY_DELAYS_MS } from '../../src/webhooks/worker.js';
import { MARKER } from '../fakes/state.js';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Endpoint = {
  id: string;
  url: string;
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  secret?: string;
  event_types: string[];
};
type Attempt = {
  id: string;
  event_id: string;
  event_type: string;
  status_code: number | null;
  error: string | null;
  response_excerpt: string | null;
};

describe.each(STORE_KINDS)('webhooks on %s', (store) => {
  let h: Harness;
  let rx: Receiver;
  let admin: Client;
  let other: Client;
  let n = 0;
  const importOne = (c: Client, tag: string) =>
    c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_${tag}`, account_id: `acct_${tag}_${++n}` },
    });

  beforeAll(async () => {
    rx = await startReceiver();
    h = await startHarness(store, { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin });
    admin = h.admin;
    // A second account with an admin token of its own (the cross-account case).
    const acct = await h.admin.json<{ id: string; token: { id: string; token: string } }>('POST', '/v1/accounts', {
      name: 'other-admin',
    });
    const db = h.rt.store.db;
    const accounts = createAccountService({
      db,
      clock: systemClock,
      audit: createAuditService({ db, clock: systemClock }),
    });
    const t = await accounts.createToken(
      { accountId: acct.body.id, tokenId: acct.body.token.id, scopes: new Set(SCOPES) },
      'admin',
      [...SCOPES],
    );
    const token = t.token;
    other = {
      token,
      accountId: acct.body.id,
      req: (method, url, body) =>
        h.rt.app.inject({
          method: method as 'GET',
          url,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
        }),
      async json(method, url, body) {
        const res = await this.req(method, url, body);
        return { status: res.statusCode, body: res.json(), headers: res.headers };
      },
    };
  });
  afterAll(async () => {
    await h?.close();
    await rx?.close();
  });

  async function endpoint(path: string, extra: Record<string, unknown> = {}): Promise<Endpoint & { secret: string }> {
    const res = await admin.json<Endpoint & { secret: string }>('POST', '/v1/webhook-endpoints', {
      url: `${rx.origin}${path}`,
      ...extra,
    });
    expect(res.status).toBe(201);
    rx.trust(res.body.secret);
    return res.body;
  }
  const deliveries = async (id: string, q = '') =>
    (await admin.json<{ data: Attempt[] }>('GET', `/v1/webhook-endpoints/${id}/deliveries${q}`)).body.data;
  const bodiesFor = (eventIds: Set<string>) => rx.received.filter((r) => eventIds.has(r.id));

  it('secret shown once, whsec_ with 24+ bytes, stored encrypted; GET and list never show it', async () => {
    const ep = await endpoint('/once');
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
    expect(Buffer.from(ep.secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const got = await admin.json<Record<string, unknown>>('GET', `/v1/webhook-endpoints/${ep.id}`);
    expect(got.body).not.toHaveProperty('secret');
    const list = await admin.json('GET', '/v1/webhook-endpoints');
    expect(JSON.stringify(list.body)).not.toContain(ep.secret.slice(6));
    const row = await h.rt.store.db
      .selectFrom('webhook_endpoints')
      .select(['secret'])
      .where('id', '=', ep.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain(ep.secret.slice(6));
    expect((await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`)).statusCode).toBe(200);
    expect((await admin.req('GET', `/v1/webhook-endpoints/${ep.id}`)).statusCode).toBe(404);
  });

  it('refuses URLs the outbound guard refuses (422 on url), at create and at patch', async () => {
    for (const url of [
      'http://example.com/hook',
      'https://user:pw@example.com/hook',
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://169.254.169.254/latest',
      'https://localhost/hook',
      'not a url',
    ]) {
      const res = await admin.json<{ validation_errors?: Record<string, string[]> }>('POST', '/v1/webhook-endpoints', {
        url,
      });
      expect(res.status, url).toBe(422);
      expect(Object.keys(res.body.validation_errors ?? {})).toEqual(['url']);
    }
    const ep = await endpoint('/patch');
    expect(
      (await admin.req('PATCH', `/v1/webhook-endpoints/${ep.id}`, { url: 'https://192.168.1.1/x' })).statusCode,
    ).toBe(422);
    expect(
      (
        await admin.json<Endpoint>('PATCH', `/v1/webhook-endpoints/${ep.id}`, {
          description: 'ok',
          event_types: ['credential.*'],
        })
      ).body.event_types,
    ).toEqual(['credential.*']);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('delivers every event signed (standardwebhooks verifies), webhook-id = event id, masked body, attempts listed', async () => {
    const ep = await endpoint('/all');
    const imported = [await importOne(admin, 'd1'), await importOne(admin, 'd2'), await importOne(admin, 'd3')];
    await h.rt.deliveries.drain();
    const events = (
      await admin.json<{ data: Array<{ id: string; type: string; data: { id: string } }> }>('GET', '/v1/events?limit=3')
    ).body.data;
    const ids = new Set(events.map((e) => e.id));
    const got = bodiesFor(ids);
    expect(got).toHaveLength(3);
    for (const r of got) {
      expect(r.verifiedWith).toEqual([ep.secret]);
      const body = JSON.parse(r.body) as { type: string; timestamp: string; data: { id: string } };
      expect(body.type).toBe('credential.created');
      expect(imported.map((i) => i.body.id)).toContain(body.data.id);
      expect(r.body).not.toContain(MARKER);
    }
    const attempts = await deliveries(ep.id);
    expect(attempts.filter((a) => ids.has(a.event_id)).map((a) => a.status_code)).toEqual([204, 204, 204]);
    expect(JSON.stringify(attempts)).not.toContain(MARKER);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('event_types filters by exact type and prefix.*', async () => {
    const ep = await endpoint('/filtered', { event_types: ['oauth_app.*', 'credential.deleted'] });
    const cred = await importOne(admin, 'f1');
    await admin.req('DELETE', `/v1/credentials/${cred.body.id}`);
    const app = await admin.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'f',
      provider: 'github',
      client_id: 'Iv1.f',
      client_secret: `${MARKER}-f`,
      settings: { app_id: '1', private_key: `${MARKER}-k` },
    });
    await h.rt.deliveries.drain();
    const types = (await deliveries(ep.id)).map((a) => a.event_type).sort();
    expect(types).toEqual(['credential.deleted', 'oauth_app.created']);
    await admin.req('DELETE', `/v1/oauth-apps/${app.body.id}`);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('receiver down, then up: retried on the schedule (visible in deliveries) until delivered', async () => {
    const ep = await endpoint('/flaky');
    const down = new Set<string>();
    rx.answer((r) =>
      r.timestamp && down.size < 100 && !delivered.has(r.id) && downMode ? (down.add(r.id), 503) : 204,
    );
    const delivered = new Set<string>();
    let downMode = true;
    await importOne(admin, 'r1');
    await importOne(admin, 'r2');
    await h.rt.deliveries.drain();
    let attempts = await deliveries(ep.id);
    expect(attempts.map((a) => a.status_code)).toEqual([503, 503]);
    // The next attempt is due about 5 s later (±10 %).
    const rows = await h.rt.store.db
      .selectFrom('webhook_deliveries')
      .select(['status', 'attempts', 'next_attempt_at'])
      .where('endpoint_id', '=', ep.id)
      .execute();
    const attemptTimes = await h.rt.store.db
      .selectFrom('webhook_attempts')
      .select(['attempted_at'])
      .where('endpoint_id', '=', ep.id)
      .execute();
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'pending', attempts: 1 });
      const wait =
        new Date(r.next_attempt_at ?? 0).getTime() -
        Math.max(...attemptTimes.map((a) => new Date(a.attempted_at).getTime()));
      expect(wait).toBeGreaterThan((RETRY_DELAYS_MS[0] ?? 0) * 0.85);
      expect(wait).toBeLessThan((RETRY_DELAYS_MS[0] ?? 0) * 1.15);
    }
    // Time passes (the retry comes due) and the receiver is back.
    downMode = false;
    await h.rt.store.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: new Date(Date.now() - 1000) })
      .where('endpoint_id', '=', ep.id)
      .where('status', '=', 'pending')
      .execute();
    await h.rt.deliveries.drain();
    attempts = await deliveries(ep.id);
    expect(attempts.map((a) => a.status_code)).toEqual([204, 204, 503, 503]);
    expect(await deliveries(ep.id, '?status=failed')).toHaveLength(2);
    expect(await deliveries(ep.id, '?status=succeeded')).toHaveLength(2);
    rx.answer(() => 204);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('410 Gone disables the endpoint at once, with a webhook_endpoint.disabled event', async () => {
    const gone = await endpoint('/gone');
    const watcher = await endpoint('/watcher', { event_types: ['webhook_endpoint.*'] });
    rx.answer((r) => (goneIds.has(r.id) ? 410 : 204));
    const goneIds = new Set<string>();
    await importOne(admin, 'g1');
    const [ev] = (
      await admin.json<{ data: Array<{ id: string }> }>('GET', '/v1/events?limit=1&type=credential.created')
    ).body.data;
    goneIds.add(ev?.id ?? '');
    await h.rt.deliveries.drain();
    const after = await admin.json<Endpoint>('GET', `/v1/webhook-endpoints/${gone.id}`);
    expect(after.body.enabled).toBe(false);
    expect(after.body.disabled_reason).toMatch(/410/);
    const disabled = (
      await admin.json<{ data: Array<{ type: string; data: { id: string } }> }>(
        'GET',
        '/v1/events?type=webhook_endpoint.disabled',
      )
    ).body.data;
    expect(disabled.map((e) => e.data.id)).toContain(gone.id);
    await h.rt.deliveries.drain();
    const toWatcher = await deliveries(watcher.id);
    expect(toWatcher.map((a) => a.event_type)).toContain('webhook_endpoint.disabled');
    // Disabled: later events are not delivered to it.
    await importOne(admin, 'g2');
    await h.rt.deliveries.drain();
    expect((await deliveries(gone.id)).map((a) => a.status_code)).toEqual([410]);
    rx.answer(() => 204);
    await admin.req('DELETE', `/v1/webhook-endpoints/${gone.id}`);
    await admin.req('DELETE', `/v1/webhook-endpoints/${watcher.id}`);
  });

  it('an endpoint failing for 3 days is disabled', async () => {
    const ep = await endpoint('/dead');
    rx.answer(() => 500);
    await importOne(admin, 'x1');
    await h.rt.deliveries.drain();
    expect((await admin.json<Endpoint>('GET', `/v1/webhook-endpoints/${ep.id}`)).body.enabled).toBe(true);
    await h.rt.store.db
      .updateTable('webhook_endpoints')
      .set({ failing_since: new Date(Date.now() - 3 * 86_400_000 - 60_000) })
      .where('id', '=', ep.id)
      .execute();
    await h.rt.store.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: new Date(Date.now() - 1000) })
      .where('endpoint_id', '=', ep.id)
      .execute();
    await h.rt.deliveries.drain();
    const after = (await admin.json<Endpoint>('GET', `/v1/webhook-endpoints/${ep.id}`)).body;
    expect(after.enabled).toBe(false);
    expect(after.disabled_reason).toMatch(/3 days/);
    rx.answer(() => 204);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('rotate-secret: deliveries verify with either secret for 24 h; test and replay re-send', async () => {
    const ep = await endpoint('/rotate');
    const rotated = await admin.json<{ secret: string; previous_secret_expires_at: string }>(
      'POST',
      `/v1/webhook-endpoints/${ep.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(ep.secret);
    rx.trust(rotated.body.secret);
    const test = await admin.json<{ event_id: string }>('POST', `/v1/webhook-endpoints/${ep.id}/test`);
    await h.rt.deliveries.drain();
    const [got] = bodiesFor(new Set([test.body.event_id]));
    expect(got?.verifiedWith.sort()).toEqual([ep.secret, rotated.body.secret].sort());
    expect(JSON.parse(got?.body ?? '{}')).toMatchObject({ type: 'webhook_endpoint.test' });

    // Replay: every matching event since a time, including ones from before the endpoint existed.
    const before = rx.received.length;
    const replay = await admin.json<{ queued: number }>('POST', `/v1/webhook-endpoints/${ep.id}/replay`, {
      since: '2000-01-01T00:00:00Z',
    });
    const accountEvents = (
      await admin.json<{ data: Array<{ id: string; type: string }> }>(
        'GET',
        '/v1/events?since=2000-01-01T00:00:00Z&limit=500',
      )
    ).body.data.filter((e) => e.type !== 'webhook_endpoint.test');
    expect(replay.body.queued).toBe(accountEvents.length);
    await h.rt.deliveries.drain();
    const resent = rx.received.slice(before);
    expect(new Set(resent.map((r) => r.id))).toEqual(new Set(accountEvents.map((e) => e.id)));
    expect(resent.every((r) => r.verifiedWith.length === 2)).toBe(true);
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });

  it('scopes and accounts: endpoints need admin; another account sees none of them', async () => {
    const ep = await endpoint('/scoped');
    const plain = await h.newAccount();
    expect((await plain.req('GET', '/v1/webhook-endpoints')).statusCode).toBe(403);
    expect((await plain.req('POST', '/v1/webhook-endpoints', { url: `${rx.origin}/x` })).statusCode).toBe(403);
    expect((await plain.req('GET', '/v1/events')).statusCode).toBe(200);
    expect((await other.json<{ data: unknown[] }>('GET', '/v1/webhook-endpoints')).body.data).toEqual([]);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { description: 'x' }],
      ['POST', '/rotate-secret', undefined],
      ['POST', '/test', undefined],
      ['GET', '/deliveries', undefined],
      ['POST', '/replay', { since: '2000-01-01T00:00:00Z' }],
      ['DELETE', '', undefined],
    ] as const) {
      expect(
        (await other.req(method, `/v1/webhook-endpoints/${ep.id}${path}`, body)).statusCode,
        `${method} ${path}`,
      ).toBe(404);
    }
    expect((await admin.json<Endpoint>('GET', `/v1/webhook-endpoints/${ep.id}`)).body.description).toBeNull();
    await admin.req('DELETE', `/v1/webhook-endpoints/${ep.id}`);
  });
});
