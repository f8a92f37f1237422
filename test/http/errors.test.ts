import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const STRIPE = { properties: { kind: 'stripe_key', secret: 'sk_test_errors_1234567890' } };

describe.each(STORE_KINDS)('error answers on %s', (kind) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(kind);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('401 without a token, with a bad token, and with a revoked token', async () => {
    const none = await h.rt.app.inject({ method: 'GET', url: '/v1/credentials' });
    expect(none.statusCode).toBe(401);
    expect(Object.keys(none.json() as object)).toEqual(['summary']);
    const bad = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { authorization: 'Bearer cv_live_nope' },
    });
    expect(bad.statusCode).toBe(401);
    const t = await c.json<{ id: string; token: string }>('POST', '/v1/api-tokens', {
      name: 'tmp',
      scopes: ['credentials:read'],
    });
    expect(t.status).toBe(201);
    const ok = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${t.body.token}` },
    });
    expect(ok.statusCode).toBe(200);
    expect((await c.req('DELETE', `/v1/api-tokens/${t.body.id}`)).statusCode).toBe(200);
    const after = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${t.body.token}` },
    });
    expect(after.statusCode).toBe(401);
  });

  it('422 on its path for a string PostgreSQL cannot store (NUL, lone surrogate), single or bulk, and nothing stored', async () => {
    const a = await h.newAccount();
    const cases: Array<[string, string, string]> = [
      // [JSON text of the import body, path, reason fragment]
      [
        '{"name":"a\\ud800b","properties":{"kind":"stripe_key","secret":"sk_live_sur_1","account_id":"acct_sur1"}}',
        'name',
        'lone UTF-16 surrogate',
      ],
      [
        '{"properties":{"kind":"stripe_key","secret":"sk_live_sur_2","account_id":"acct_sur2"},"metadata":{"x":["ok","\\udc00"]}}',
        'metadata.x.1',
        'lone UTF-16 surrogate',
      ],
      [
        '{"properties":{"kind":"stripe_key","secret":"sk_live_sur_3","account_id":"acct_sur3"},"metadata":{"k\\udbff":1}}',
        'metadata.k\udbff',
        'lone UTF-16 surrogate',
      ],
      [
        '{"properties":{"kind":"stripe_key","secret":"sk_live_\\u0000","account_id":"acct_sur4"}}',
        'properties.secret',
        'NUL character',
      ],
    ];
    for (const [body, path, reason] of cases) {
      const single = await a.req('POST', '/v1/credentials', body);
      expect(single.statusCode).toBe(422);
      const err = single.json() as { validation_errors: Record<string, string[]> };
      expect(Object.keys(err.validation_errors)).toEqual([path]);
      expect(err.validation_errors[path]?.[0]).toContain(reason);
      const bulk = await a.req('POST', '/v1/credentials/bulk', `{"items":[${body}]}`);
      expect(bulk.statusCode).toBe(422);
      expect(Object.keys((bulk.json() as { validation_errors: Record<string, string[]> }).validation_errors)).toEqual([
        `items.0.${path}`,
      ]);
    }
    // A well-formed pair (an emoji) is fine and stored as sent.
    const ok = await a.json<{ name: string }>(
      'POST',
      '/v1/credentials',
      '{"name":"key \\ud83d\\udd11","properties":{"kind":"stripe_key","secret":"sk_live_sur_5","account_id":"acct_sur5"}}',
    );
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('key \u{1F511}');
    const list = await a.json<{ data: unknown[] }>('GET', '/v1/credentials');
    expect(list.body.data).toHaveLength(1);
  });

  it('a token with a flipped checksum character is refused', async () => {
    const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'cs', scopes: ['credentials:read'] });
    const last = t.body.token.slice(-1);
    const tampered = t.body.token.slice(0, -1) + (last === 'a' ? 'b' : 'a');
    const res = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${tampered}` },
    });
    expect(res.statusCode).toBe(401);
  });

  it('403 when the token lacks the scope, before content checks', async () => {
    const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'ro', scopes: ['credentials:read'] });
    const res = await h.rt.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: { authorization: `Bearer ${t.body.token}`, 'content-type': 'text/plain' },
      payload: 'not json',
    });
    expect(res.statusCode).toBe(403);
    expect((res.json() as { summary: string }).summary).toContain('credentials:write');
  });

  it('cannot mint a token wider than its own', async () => {
    const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'tm', scopes: ['tokens:manage'] });
    const res = await h.rt.app.inject({
      method: 'POST',
      url: '/v1/api-tokens',
      headers: { authorization: `Bearer ${t.body.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'wider', scopes: ['secrets:reveal'] }),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toHaveProperty('validation_errors.scopes');
  });

  it('415 for a non-JSON body, JSON with charset accepted', async () => {
    const res = await c.req('POST', '/v1/credentials', 'kind=stripe', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.statusCode).toBe(415);
    const text = await c.req('POST', '/v1/credentials', 'hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
    const charset = await c.req('POST', '/v1/credentials', JSON.stringify(STRIPE), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(charset.statusCode).toBe(200);
  });

  it('400 for malformed JSON without echoing it', async () => {
    const res = await c.req('POST', '/v1/credentials', '{"properties": {"secret": "sk_live_LEAKME_0001"', {});
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('LEAKME');
    expect(Object.keys(res.json() as object)).toEqual(['summary']);
  });

  it('413 over 1 MiB', async () => {
    const big = JSON.stringify({
      properties: { kind: 'stripe_key', secret: 'sk_live_x' },
      metadata: { pad: 'x'.repeat(1024 * 1024) },
    });
    const res = await c.req('POST', '/v1/credentials', big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toHaveProperty('summary');
  });

  it('404 for unknown routes and non-UUID ids, in the same shape', async () => {
    const route = await c.req('GET', '/v1/nothing-here');
    expect(route.statusCode).toBe(404);
    expect(Object.keys(route.json() as object)).toEqual(['summary']);
    const id = await c.req('GET', '/v1/credentials/not-a-uuid');
    expect(id.statusCode).toBe(404);
    const unknown = await c.req('GET', '/v1/credentials/7d1c2d6e-8b1a-4c3e-9f0a-123456789abc');
    expect(unknown.statusCode).toBe(404);
  });

  it('422 lists every failure at once with dotted paths', async () => {
    const res = await c.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials', {
      properties: { kind: 'salesforce_oauth2', instance_url: 'https://acme.my.salesforce.com', bogus: 1 },
      oauth_app_id: '00000000-0000-4000-8000-000000000000',
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.validation_errors).sort()).toEqual([
      'oauth_app_id',
      'properties.bogus',
      'properties.refresh_token',
    ]);
    // The kind's fields are stated once, on the first unknown field (issue 13 item 3).
    expect(res.body.validation_errors['properties.bogus']?.[0]).toMatch(/its fields are .*instance_url/);
  });

  it('422 for an unknown kind lists the valid kinds', async () => {
    const res = await c.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials', {
      properties: { kind: 'dropbox' },
    });
    expect(res.status).toBe(422);
    expect(res.body.validation_errors['properties.kind']?.[0]).toContain('stripe_key');
  });

  it('422 for limit out of range', async () => {
    expect((await c.req('GET', '/v1/credentials?limit=0')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/credentials?limit=501')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/oauth-apps?limit=501')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/credentials?limit=500')).statusCode).toBe(200);
  });

  it('serves the OpenAPI 3.1 document, /docs, /healthz and /readyz without auth', async () => {
    const spec = await h.rt.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(spec.statusCode).toBe(200);
    const doc = spec.json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/credentials', '/v1/credentials/{id}', '/v1/oauth-apps', '/v1/api-tokens']),
    );
    const docs = await h.rt.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('<html');
    expect((await h.rt.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.rt.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});

describe('rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('pglite', { CREDVAULT_RATE_LIMIT: '5' });
  });
  afterAll(async () => h?.close());

  it('answers 429 with Retry-After past the limit, per token', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 12; i++) {
      const res = await a.req('GET', '/v1/credentials');
      statuses.push(res.statusCode);
      if (res.statusCode === 429) retryAfter = res.headers['retry-after'];
    }
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await b.req('GET', '/v1/credentials')).statusCode).toBe(200);
  });
});
