import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthApp } from '../support/api.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('tenant isolation on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  it("account B gets 404 on every route for account A's objects, and lists never mix", async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const appA = await createOAuthApp(a, 'salesforce');
    const credA = (await a.json<{ id: string }>('POST', '/v1/credentials', { oauth_app_id: appA, properties: { kind: 'salesforce', instance_url: 'https://iso.my.salesforce.com', refresh_token: 'rt-iso' } })).body.id;
    const tokA = (await a.json<{ id: string }>('POST', '/v1/api-tokens', { name: 'a', scopes: ['credentials:read'] })).body.id;
    const probes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/credentials/${credA}`],
      ['PATCH', `/v1/credentials/${credA}`, { name: 'hijack' }],
      ['DELETE', `/v1/credentials/${credA}`],
      ['GET', `/v1/oauth-apps/${appA}`],
      ['PATCH', `/v1/oauth-apps/${appA}`, { name: 'hijack' }],
      ['DELETE', `/v1/oauth-apps/${appA}`],
      ['DELETE', `/v1/api-tokens/${tokA}`],
      ['GET', `/v1/proxy/credential/${credA}/services/data/v60.0/limits`],
      ['POST', `/v1/proxy/credential/${credA}/services/data/v60.0/sobjects/Account`, { Name: 'hijack' }],
    ];
    for (const [method, url, body] of probes) {
      const res = await b.req(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // The same provider account in B is B's own credential, not A's.
    const appB = await createOAuthApp(b, 'salesforce');
    const credB = await b.json<{ id: string }>('POST', '/v1/credentials', { oauth_app_id: appB, properties: { kind: 'salesforce', instance_url: 'https://iso.my.salesforce.com', refresh_token: 'rt-b' } });
    expect(credB.body.id).not.toBe(credA);
    const listB = await b.json<{ data: Array<{ id: string }> }>('GET', '/v1/credentials');
    expect(listB.body.data.map((d) => d.id)).toEqual([credB.body.id]);
    const appsB = await b.json<{ data: Array<{ id: string }> }>('GET', '/v1/oauth-apps');
    expect(appsB.body.data.map((d) => d.id)).toEqual([appB]);
    const filtered = await b.json<{ data: unknown[] }>('GET', `/v1/credentials?oauth_app_id=${appA}`);
    expect(filtered.body.data).toEqual([]);
    // A's objects are untouched.
    const still = await a.json<{ name: string | null }>('GET', `/v1/credentials/${credA}`);
    expect(still.status).toBe(200);
    expect(still.body.name).toBeNull();
    expect((await a.req('GET', `/v1/oauth-apps/${appA}`)).statusCode).toBe(200);
  });
});
