import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthApp } from '../support/api.js';
import { type Harness, startHarness } from '../support/harness.js';
import { documentedRoutes } from '../support/routes.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('tenant isolation on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store, { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: 'http://127.0.0.1:9' });
  });
  afterAll(async () => h?.close());

  it("account B gets 404 on every route for account A's objects, and lists never mix", async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const appA = await createOAuthApp(a, 'salesforce');
    const credA = (
      await a.json<{ id: string }>('POST', '/v1/credentials', {
        oauth_app_id: appA,
        properties: { kind: 'salesforce', instance_url: 'https://iso.my.salesforce.com', refresh_token: 'rt-iso' },
      })
    ).body.id;
    const tokA = (await a.json<{ id: string }>('POST', '/v1/api-tokens', { name: 'a', scopes: ['credentials:read'] }))
      .body.id;
    // A Connect flow of A's (its OAuth app lists the redirect_url the flow returns to).
    const done = 'https://done.example.com/';
    const linkApp = (
      await a.json<{ id: string }>('POST', '/v1/oauth-apps', {
        name: 'sf-link',
        provider: 'salesforce',
        client_id: 'cid',
        client_secret: 'csecret',
        redirect_urls: [done],
      })
    ).body.id;
    expect(
      (
        await a.req('POST', '/v1/credentials/start-auth', {
          oauth_app_id: linkApp,
          credential_kind: 'salesforce',
          redirect_url: done,
        })
      ).statusCode,
    ).toBe(200);
    const sessionA =
      (await a.json<{ data: Array<{ id: string }> }>('GET', '/v1/connect-sessions')).body.data[0]?.id ?? '';
    // Every documented route that names an object by id, from the OpenAPI document: a new
    // route is probed without editing this test (a new kind of object must be added below).
    // Webhook endpoints need the admin scope, which only the bootstrap account's token holds: B
    // probes the admin account's endpoint and must be refused (403 before any lookup, or 404).
    const hookA = (
      await h.admin.json<{ id: string }>('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/iso' })
    ).body.id;
    expect(hookA).toMatch(/^[0-9a-f-]{36}$/);
    const eventA = (await a.json<{ data: Array<{ id: string }> }>('GET', '/v1/events')).body.data[0]?.id ?? '';
    expect(eventA).not.toBe('');
    const objectOf: Record<string, string> = {
      '/v1/credentials/{id}': credA,
      '/v1/oauth-apps/{id}': appA,
      '/v1/api-tokens/{id}': tokA,
      '/v1/proxy/credential/{id}': credA,
      '/v1/webhook-endpoints/{id}': hookA,
      '/v1/events/{id}': eventA,
      '/v1/connect-sessions/{id}': sessionA,
    };
    /** A valid body per route that takes one, so B's request reaches the lookup (not the schema). */
    const bodies: Record<string, unknown> = {
      'PATCH /v1/credentials/{id}': { name: 'hijack' },
      'PATCH /v1/oauth-apps/{id}': { name: 'hijack' },
      'POST /v1/credentials/{id}/health-reports': { status_code: 401 },
      'PATCH /v1/webhook-endpoints/{id}': { description: 'hijack' },
      'POST /v1/webhook-endpoints/{id}/replay': { since: '2020-01-01T00:00:00Z' },
    };
    // The /link/ pages answer to a flow's cookie, not to an account's token (test/connect covers them).
    const routes = documentedRoutes(h.rt).filter((r) => r.path.includes('{id}') && !r.path.startsWith('/link/'));
    // Deletes last, so every other probe still finds A's objects in place.
    routes.sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    expect(routes.length).toBeGreaterThanOrEqual(9);
    for (const route of routes) {
      const prefix = Object.keys(objectOf).find((p) => route.path === p || route.path.startsWith(`${p}/`));
      expect(prefix, `${route.method} ${route.path}: add an object of this kind to the isolation test`).toBeDefined();
      const url = route.path.replace('{id}', objectOf[prefix ?? ''] ?? '');
      const key = `${route.method} ${route.path}`;
      const body = route.hasBody ? (bodies[key] ?? {}) : undefined;
      const res = await b.req(route.method, url, body);
      if (prefix === '/v1/webhook-endpoints/{id}') {
        expect([403, 404], key).toContain(res.statusCode);
        expect(res.body, key).not.toContain(hookA);
      } else expect(res.statusCode, key).toBe(404);
    }
    // The same provider account in B is B's own credential, not A's.
    const appB = await createOAuthApp(b, 'salesforce');
    const credB = await b.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: appB,
      properties: { kind: 'salesforce', instance_url: 'https://iso.my.salesforce.com', refresh_token: 'rt-b' },
    });
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
