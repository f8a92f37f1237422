/** tokens:manage cannot revoke wider tokens nor the last admin token; an unparsable If-Match answers 412. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Token = { id: string; token: string; scopes: string[] };

describe.each(STORE_KINDS)('token revocation limits and If-Match on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  const as =
    (token: string) =>
    (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) =>
      h.rt.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });

  it('a tokens:manage token cannot revoke a token with scopes it lacks', async () => {
    const c = await h.newAccount();
    const manager = (
      await c.json<Token>('POST', '/v1/api-tokens', { name: 'manager', scopes: ['tokens:manage', 'credentials:read'] })
    ).body;
    const reveal = (
      await c.json<Token>('POST', '/v1/api-tokens', { name: 'reveal', scopes: ['credentials:read', 'secrets:reveal'] })
    ).body;
    const narrow = (await c.json<Token>('POST', '/v1/api-tokens', { name: 'narrow', scopes: ['credentials:read'] }))
      .body;
    const wider = await as(manager.token)('DELETE', `/v1/api-tokens/${reveal.id}`);
    expect(wider.statusCode).toBe(403);
    expect(wider.json()).toMatchObject({ summary: expect.stringMatching(/secrets:reveal/) });
    // The wider token still works.
    expect((await as(reveal.token)('GET', '/v1/credentials')).statusCode).toBe(200);
    // Within its own scopes it may revoke.
    expect((await as(manager.token)('DELETE', `/v1/api-tokens/${narrow.id}`)).statusCode).toBe(200);
    expect((await as(narrow.token)('GET', '/v1/credentials')).statusCode).toBe(401);
  });

  it('answers 412 to an If-Match it cannot parse, instead of ignoring it', async () => {
    const c = await h.newAccount();
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_ifmatch1' },
    });
    const url = `/v1/credentials/${cred.body.id}`;
    for (const bad of ['v1', '"1"', 'garbage', '"v1', '"vx"']) {
      const res = await c.req('PATCH', url, { name: 'x' }, { 'if-match': bad });
      expect(res.statusCode, bad).toBe(412);
    }
    const got = await c.req('GET', url);
    const ok = await c.req('PATCH', url, { name: 'y' }, { 'if-match': String(got.headers.etag) });
    expect(ok.statusCode).toBe(200);
    expect((await c.req('PATCH', url, { name: 'z' }, { 'if-match': '*' })).statusCode).toBe(200);
    expect((await c.req('PATCH', url, { name: 'w' })).statusCode).toBe(200);
  });

  // Last: it revokes the harness's admin token.
  it('refuses to revoke the last admin token', async () => {
    const list = await h.admin.json<{ data: Array<{ id: string; scopes: string[] }> }>('GET', '/v1/api-tokens');
    const admins = list.body.data.filter((t) => t.scopes.includes('admin'));
    expect(admins).toHaveLength(1);
    const last = admins[0]?.id ?? '';
    const refused = await h.admin.req('DELETE', `/v1/api-tokens/${last}`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ summary: expect.stringMatching(/last admin token/i) });
    expect((await h.admin.req('GET', '/v1/accounts/me')).statusCode).toBe(200);
    // With a second admin token, the first may go.
    const second = (
      await h.admin.json<Token>('POST', '/v1/api-tokens', {
        name: 'admin-2',
        scopes: ['credentials:read', 'credentials:write', 'secrets:reveal', 'tokens:manage', 'admin'],
      })
    ).body;
    expect((await as(second.token)('DELETE', `/v1/api-tokens/${last}`)).statusCode).toBe(200);
    expect((await as(second.token)('DELETE', `/v1/api-tokens/${second.id}`)).statusCode).toBe(409);
  });
});
