/** GET /v1/credentials/summary: counts per provider and health, recent failures; per account; read scope. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('credential summary on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  it('counts each account’s own credentials by provider and health, and lists the recent failures', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    for (let i = 0; i < 3; i++)
      await a.json('POST', '/v1/credentials', {
        properties: { kind: 'stripe_key', secret: `sk_test_summary_${i}`, account_id: `acct_sum_${i}` },
      });
    expect(
      (await a.json('POST', '/v1/credentials', { properties: { kind: 'sendgrid_key', api_key: 'SG.summary.key' } }))
        .status,
    ).toBe(200);
    await b.json('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_test_summary_b', account_id: 'acct_sum_b' },
    });
    // Two of A's Stripe keys turned warn (as a check would leave them), at different times.
    const list = await a.json<{ data: Array<{ id: string; provider: string }> }>(
      'GET',
      '/v1/credentials?provider=stripe',
    );
    const [first, second] = list.body.data;
    for (const [c, time] of [
      [first, '2026-01-01T00:00:00Z'],
      [second, '2026-02-01T00:00:00Z'],
    ] as const) {
      const health = { status: 'warn', notes: ['Stripe answered 403: the key lacks a permission.'], time };
      await h.testStore.store.db
        .updateTable('credentials')
        .set({ health_status: 'warn', health: JSON.stringify(health) })
        .where('id', '=', c?.id ?? '')
        .execute();
    }
    const sum = await a.json<{
      total: Record<string, number>;
      providers: Array<Record<string, number | string>>;
      recently_broken: Array<{ id: string; status: string; notes: string[] }>;
    }>('GET', '/v1/credentials/summary');
    expect(sum.status).toBe(200);
    const byStatus = (await a.json<{ data: unknown[] }>('GET', '/v1/credentials?health.status=warn')).body.data.length;
    expect(sum.body.total.total).toBe(4);
    expect(sum.body.total.warn).toBe(byStatus);
    expect(sum.body.providers.map((p) => [p.provider, p.total])).toEqual([
      ['sendgrid', 1],
      ['stripe', 3],
    ]);
    // The most recently changed first.
    expect(sum.body.recently_broken.map((r) => r.id)).toEqual([second?.id, first?.id]);
    expect(sum.body.recently_broken.every((r) => r.status === 'warn' && r.notes.length > 0)).toBe(true);

    const other = await b.json<{ total: Record<string, number>; recently_broken: unknown[] }>(
      'GET',
      '/v1/credentials/summary',
    );
    expect(other.body.total).toEqual({ pending: 1, ok: 0, warn: 0, error: 0, total: 1 });
    expect(other.body.recently_broken).toEqual([]);
  });

  it('needs credentials:read', async () => {
    const a = await h.newAccount();
    const writeOnly = await a.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'w',
      scopes: ['credentials:write'],
    });
    const res = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials/summary',
      headers: { authorization: `Bearer ${writeOnly.body.token}` },
    });
    expect(res.statusCode).toBe(403);
    expect((await h.rt.app.inject({ method: 'GET', url: '/v1/credentials/summary' })).statusCode).toBe(401);
  });

  it('/v1/accounts/me names the calling token and its scopes', async () => {
    const a = await h.newAccount();
    const t = await a.json<{ id: string; token: string }>('POST', '/v1/api-tokens', {
      name: 'r',
      scopes: ['credentials:read', 'secrets:reveal'],
    });
    const me = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/accounts/me',
      headers: { authorization: `Bearer ${t.body.token}` },
    });
    expect(me.json()).toMatchObject({
      id: a.accountId,
      token: { id: t.body.id, scopes: ['credentials:read', 'secrets:reveal'] },
    });
  });
});
