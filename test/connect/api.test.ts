/**
 * Connect's API surface without a browser (docs: Connect): the scope matrix, account isolation,
 * redirect_urls rules, what the database keeps of a link, the /link rate limit and a fuzzer over
 * the new routes.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digest } from '../../src/connect/tokens.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const DONE = 'https://app.example.com/connected';
const SECRET = 'FZsecret_Cn7';
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

describe.each(STORE_KINDS)('Connect API on %s', (store) => {
  let h: Harness;
  let a: Client;
  let b: Client;
  let appA: string;
  beforeAll(async () => {
    h = await startHarness(store, {
      CREDVAULT_PUBLIC_URL: 'https://vault.example.com',
      CREDVAULT_CONNECT_REDIRECT_URLS: DONE,
      CREDVAULT_LINK_RATE_LIMIT: '4',
    });
    a = await h.newAccount();
    b = await h.newAccount();
    appA = (
      await a.json<{ id: string }>('POST', '/v1/oauth-apps', {
        name: 'sf',
        provider: 'salesforce',
        client_id: 'cid',
        client_secret: 'csecret',
        redirect_urls: [DONE],
      })
    ).body.id;
  });
  afterAll(async () => h?.close());

  const start = (c: Client, extra: Record<string, unknown> = {}) =>
    c.json<{ start_url: string; expires_at: string }>('POST', '/v1/credentials/start-auth', {
      oauth_app_id: appA,
      credential_kind: 'salesforce',
      redirect_url: DONE,
      ...extra,
    });

  it('OAuth apps keep redirect_urls: https, or http on localhost only; at most 20', async () => {
    const got = await a.json<{ redirect_urls: string[] }>('GET', `/v1/oauth-apps/${appA}`);
    expect(got.body.redirect_urls).toEqual([DONE]);
    for (const bad of [
      ['http://evil.example/cb'],
      ['javascript:alert(1)'],
      ['https://x.example/#frag'],
      Array.from({ length: 21 }, (_, i) => `https://x.example/${i}`),
    ]) {
      const res = await a.json<{ validation_errors: Record<string, string[]> }>('PATCH', `/v1/oauth-apps/${appA}`, {
        redirect_urls: bad,
      });
      expect(res.status, JSON.stringify(bad)).toBe(422);
    }
    const ok = await a.json<{ redirect_urls: string[] }>('PATCH', `/v1/oauth-apps/${appA}`, {
      redirect_urls: [DONE, 'http://127.0.0.1:3000/cb', 'http://localhost/cb'],
    });
    expect(ok.body.redirect_urls).toHaveLength(3);
  });

  it('start-auth answers a single-use link on CREDVAULT_PUBLIC_URL whose token is stored only as a digest', async () => {
    const res = await start(a, { state: { big: 'x'.repeat(100) }, expires_in: 120 });
    expect(res.status).toBe(200);
    expect(res.body.start_url).toMatch(/^https:\/\/vault\.example\.com\/link\/oauth2\/start\/cvl_[A-Za-z0-9_-]{43}$/);
    const token = res.body.start_url.split('/').pop() ?? '';
    const rows = await h.testStore.store.db
      .selectFrom('connect_sessions')
      .selectAll()
      .where('account_id', '=', a.accountId)
      .execute();
    expect(rows.some((r) => Buffer.compare(r.link_digest, digest(token)) === 0)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(token);
    const tooBig = await start(a, { state: 'y'.repeat(6000) });
    expect(Object.keys((tooBig.body as unknown as { validation_errors: object }).validation_errors)).toEqual(['state']);
    const short = await start(a, { expires_in: 30 });
    expect(short.status).toBe(422);
  });

  it('scope matrix: start-auth needs credentials:write, the flow records credentials:read; no token is 401', async () => {
    const mint = async (scopes: string[]) =>
      (await a.json<{ token: string }>('POST', '/v1/api-tokens', { name: scopes.join('+') || 'none', scopes })).body
        .token;
    const matrix: Array<[string[], number, number]> = [
      [['credentials:read'], 403, 200],
      [['credentials:write'], 200, 403],
      [['secrets:reveal'], 403, 403],
      [['credentials:read', 'credentials:write'], 200, 200],
    ];
    for (const [scopes, startStatus, readStatus] of matrix) {
      const token = await mint(scopes);
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const s = await h.rt.app.inject({
        method: 'POST',
        url: '/v1/credentials/start-auth',
        headers: auth,
        payload: JSON.stringify({ oauth_app_id: appA, credential_kind: 'salesforce', redirect_url: DONE }),
      });
      expect(s.statusCode, `start-auth with ${scopes.join(',')}`).toBe(startStatus);
      const l = await h.rt.app.inject({
        method: 'GET',
        url: '/v1/connect-sessions',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(l.statusCode, `list with ${scopes.join(',')}`).toBe(readStatus);
    }
    for (const [method, url] of [
      ['POST', '/v1/credentials/start-auth'],
      ['GET', '/v1/connect-sessions'],
      ['GET', '/v1/connect-sessions/00000000-0000-4000-8000-000000000000'],
    ] as const) {
      expect((await h.rt.app.inject({ method, url })).statusCode).toBe(401);
    }
  });

  it("account isolation: B sees none of A's flows and cannot start one on A's app or credential", async () => {
    await start(a);
    const listA = await a.json<{ data: Array<{ id: string }> }>('GET', '/v1/connect-sessions');
    const id = listA.body.data[0]?.id ?? '';
    expect((await b.req('GET', `/v1/connect-sessions/${id}`)).statusCode).toBe(404);
    expect((await b.json<{ data: unknown[] }>('GET', '/v1/connect-sessions')).body.data).toEqual([]);
    const onApp = await b.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials/start-auth', {
      oauth_app_id: appA,
      credential_kind: 'salesforce',
      redirect_url: DONE,
    });
    expect(Object.keys(onApp.body.validation_errors)).toContain('oauth_app_id');
    const cred = await a.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: appA,
      properties: { kind: 'salesforce', instance_url: 'https://iso.my.salesforce.com', refresh_token: 'rt' },
    });
    const onCred = await b.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials/start-auth', {
      credential_kind: 'stripe_key',
      redirect_url: DONE,
      credential_id: cred.body.id,
    });
    expect(Object.keys(onCred.body.validation_errors)).toEqual(['credential_id']);
  });

  it('/link routes are rate limited per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await h.rt.app.inject({ method: 'GET', url: `/link/oauth2/start/cvl_unknown${i}`, remoteAddress: '10.9.8.7' }))
          .statusCode,
      );
    expect(statuses.slice(0, 4)).toEqual([404, 404, 404, 404]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    expect(
      (await h.rt.app.inject({ method: 'GET', url: '/link/oauth2/start/cvl_other', remoteAddress: '10.9.8.6' }))
        .statusCode,
    ).toBe(404);
  });

  it('fuzz: random bodies and queries on the new routes never give a 5xx nor echo a secret', async () => {
    const weird = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(SECRET, '__proto__', '', '\u0000', 'a\ud800b', 1e308),
      fc.string({ maxLength: 40 }),
    );
    const key = fc.oneof(
      fc.constantFrom(
        'oauth_app_id',
        'credential_kind',
        'redirect_url',
        'state',
        'properties',
        'scopes',
        'credential_id',
        'expires_in',
        'code',
        'client_id',
        'client_secret',
        '__proto__',
      ),
      fc.string({ maxLength: 10 }),
    );
    const body = fc.oneof(fc.dictionary(key, weird, { maxKeys: 6 }), weird);
    const send = (
      method: 'POST' | 'GET',
      url: string,
      payload?: unknown,
      remoteAddress = `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    ) =>
      h.rt.app.inject({
        method,
        url,
        remoteAddress,
        headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) ?? 'null' }),
      });
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        for (const url of ['/v1/credentials/start-auth', '/link/oauth2/token']) {
          const res = await send('POST', url, b);
          expect(res.statusCode, `${url} ${JSON.stringify(b)}`).toBeLessThan(500);
          if (url === '/link/oauth2/token') expect(res.body).not.toContain(SECRET);
        }
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(key, fc.string({ maxLength: 30 }), { maxKeys: 5 }),
        fc.constantFrom('salesforce', 'shopify', 'github', 'nope'),
        async (q, provider) => {
          const res = await send('GET', `/link/oauth2/callback/${provider}?${new URLSearchParams(q).toString()}`);
          expect(res.statusCode).toBeLessThan(500);
          const form = await h.rt.app.inject({
            method: 'POST',
            url: `/link/oauth2/form/${q.state ?? '00000000-0000-4000-8000-000000000000'}`,
            remoteAddress: '10.2.0.1',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams(q).toString(),
          });
          expect(form.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
