/**
 * The OpenAPI document cannot lie: every operation it lists is exercised (the list comes from
 * the document, so a new route is covered as soon as it is registered), and every answer is
 * checked against it with ajv: the status must be declared, the body must validate against
 * the declared schema, and the headers the answer declares must be there.
 *
 * Each operation gets the error requests derived from its declaration (no token, a token
 * with too few scopes, an unknown id, a non-JSON body, invalid JSON, an oversized body, an
 * empty body, an out-of-range query) and the success requests of SUCCESS below; an operation
 * without an entry there fails the test by name.
 */
import { randomUUID } from 'node:crypto';
import { type Server, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

// ajv-formats is CommonJS: its callable is the default export's default.
const addFormats = formats.default;
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { createOAuthApp } from '../support/api.js';
import { type Upstream, startUpstream } from '../proxy/upstream.js';

type JsonObject = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  operationId: string;
  op: JsonObject;
}
interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}
interface Ctx {
  c: Client;
  h: Harness;
  credentialId: string;
  appId: string;
  /** A sendgrid_key credential whose provider is the local fake upstream (test/proxy/upstream.ts). */
  proxiedId: string;
  up: Upstream;
  /** A webhook endpoint of the admin account, delivering to the local upstream. */
  endpointId: string;
  /** A HubSpot OAuth app whose redirect_urls hold DONE (Connect flows). */
  hubspotAppId: string;
}

/** Where Connect flows end (the customer's app; never fetched here). */
const DONE = 'https://app.example.com/connected';

async function startLink(x: Ctx, body: Record<string, unknown>): Promise<string> {
  const s = await x.c.json<{ start_url: string }>('POST', '/v1/credentials/start-auth', {
    redirect_url: DONE,
    ...body,
  });
  return new URL(s.body.start_url).pathname;
}

/** Opens a start link as a browser would: the page (or redirect) and the flow cookie it sets. */
async function openLink(x: Ctx, body: Record<string, unknown>) {
  const res = await x.h.rt.app.inject({ method: 'GET', url: await startLink(x, body) });
  const set = res.headers['set-cookie'];
  const cookie = ((Array.isArray(set) ? set[0] : set) ?? '').split(';')[0] ?? '';
  return { res, cookie };
}

/** The key form of a sendgrid_key flow: where it posts, its CSRF token and the cookie. */
async function keyForm(x: Ctx) {
  const { res, cookie } = await openLink(x, { credential_kind: 'sendgrid_key' });
  const action = /action="([^"]+)"/.exec(res.body)?.[1] ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
  if (!action || !csrf) throw new Error(`no key form in ${res.body.slice(0, 300)}`);
  return { action, csrf, cookie };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
/** `raw` is sent as it is (with its content-type in `headers`): the /link key form is a browser form post. */
type Request = { method?: string; url: string; body?: unknown; raw?: string; headers?: Record<string, string> };

const DOC_ID = 'https://credvault.invalid/openapi.json';

/** The requests that succeed, per operationId (with the ids the set-up made). */
const SUCCESS: Record<string, (x: Ctx) => Promise<Request[]> | Request[]> = {
  importCredential: () => [
    {
      url: '/v1/credentials',
      body: { name: 'Conf', properties: { kind: 'stripe_key', secret: 'sk_test_conformance_2' } },
      headers: { 'idempotency-key': 'conf-1' },
    },
    // The replay answers the first answer again.
    {
      url: '/v1/credentials',
      body: { name: 'Conf', properties: { kind: 'stripe_key', secret: 'sk_test_conformance_2' } },
      headers: { 'idempotency-key': 'conf-1' },
    },
    // Same key, another body: 422.
    {
      url: '/v1/credentials',
      body: { properties: { kind: 'stripe_key', secret: 'sk_test_conformance_3' } },
      headers: { 'idempotency-key': 'conf-1' },
    },
  ],
  listCredentials: () => [
    { url: '/v1/credentials?limit=2' },
    { url: '/v1/credentials?health.status=pending&metadata=%7B%7D' },
  ],
  getCredentialSummary: () => [{ url: '/v1/credentials/summary' }],
  getCredential: (x) => [{ url: `/v1/credentials/${x.credentialId}` }],
  updateCredential: (x) => [
    { url: `/v1/credentials/${x.credentialId}`, body: { name: 'Renamed' } },
    { url: `/v1/credentials/${x.credentialId}`, body: { name: 'Stale' }, headers: { 'if-match': '"v1"' } },
  ],
  deleteCredential: async (x) => {
    const made = await x.c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.conf.delete' },
    });
    return [{ url: `/v1/credentials/${made.body.id}` }];
  },
  importCredentialsBulk: () => [
    {
      url: '/v1/credentials/bulk',
      body: {
        items: [{ properties: { kind: 'sendgrid_key', api_key: 'SG.conf.bulk' } }, { properties: { kind: 'nope' } }],
      },
    },
    {
      url: '/v1/credentials/bulk',
      body: { items: [{ properties: { kind: 'sendgrid_key', api_key: 'SG.conf.bulk' } }] },
      headers: { prefer: 'return=minimal' },
    },
  ],
  exportCredentials: () => [
    { url: '/v1/credentials/export' },
    { url: '/v1/credentials/export?include_secrets=true&limit=1' },
  ],
  checkCredential: (x) => [{ url: `/v1/credentials/${x.credentialId}/check` }],
  reportCredentialHealth: (x) => [
    { url: `/v1/credentials/${x.credentialId}/health-reports`, body: { status_code: 401 } },
  ],
  getAccessToken: (x) => [{ url: `/v1/credentials/${x.credentialId}/access-token` }],
  listAuditEvents: () => [{ url: '/v1/audit-events?limit=5' }],
  createOAuthApp: () => [
    {
      url: '/v1/oauth-apps',
      body: {
        name: 'Conf app',
        provider: 'hubspot',
        client_id: 'cid',
        client_secret: 'csec',
        settings: { region: 'eu' },
      },
    },
  ],
  listOAuthApps: () => [{ url: '/v1/oauth-apps' }, { url: '/v1/oauth-apps?truncate_secrets=false&provider=stripe' }],
  getOAuthApp: (x) => [{ url: `/v1/oauth-apps/${x.appId}` }],
  updateOAuthApp: (x) => [{ url: `/v1/oauth-apps/${x.appId}`, body: { name: 'Renamed app', client_secret: 'csec-2' } }],
  deleteOAuthApp: async (x) => [
    { url: `/v1/oauth-apps/${await createOAuthApp(x.c, 'linear')}` },
    { url: `/v1/oauth-apps/${x.appId}` },
  ],
  getMyAccount: () => [{ url: '/v1/accounts/me' }],
  createAccount: (x) => [
    { url: '/v1/accounts', body: { name: 'conf' }, headers: { authorization: `Bearer ${x.h.admin.token}` } },
  ],
  createApiToken: () => [{ url: '/v1/api-tokens', body: { name: 'conf', scopes: ['credentials:read'] } }],
  listApiTokens: () => [{ url: '/v1/api-tokens' }],
  // The proxy answers with the provider's answer: here a fake on 127.0.0.1 that echoes what it got.
  proxyGet: (x) => [{ url: `/v1/proxy/credential/${x.proxiedId}/v3/scopes?limit=1` }],
  proxyPost: (x) => [{ url: `/v1/proxy/credential/${x.proxiedId}/v3/mail/send`, body: { hello: 'conformance' } }],
  proxyPut: (x) => [{ url: `/v1/proxy/credential/${x.proxiedId}/v3/things/1`, body: { a: 1 } }],
  proxyPatch: (x) => [{ url: `/v1/proxy/credential/${x.proxiedId}/v3/things/1`, body: { a: 2 } }],
  proxyDelete: (x) => [{ url: `/v1/proxy/credential/${x.proxiedId}/v3/things/1` }],
  getEvents: () => [{ url: '/v1/events?limit=5' }, { url: '/v1/events?since=2020-01-01T00:00:00Z' }],
  getEventsById: async (x) => {
    const list = await x.c.json<{ data: Array<{ id: string }> }>('GET', '/v1/events?limit=1');
    return [{ url: `/v1/events/${list.body.data[0]?.id ?? 'none'}` }];
  },
  postWebhookEndpoints: (x) => [
    {
      url: '/v1/webhook-endpoints',
      body: { url: `${x.up.url}/hooks/conf`, description: 'conformance' },
      headers: { authorization: `Bearer ${x.h.admin.token}` },
    },
  ],
  getWebhookEndpoints: (x) => [
    { url: '/v1/webhook-endpoints', headers: { authorization: `Bearer ${x.h.admin.token}` } },
  ],
  getWebhookEndpointsById: (x) => [
    { url: `/v1/webhook-endpoints/${x.endpointId}`, headers: { authorization: `Bearer ${x.h.admin.token}` } },
  ],
  updateWebhookEndpointsById: (x) => [
    {
      url: `/v1/webhook-endpoints/${x.endpointId}`,
      body: { description: 'renamed', enabled: true },
      headers: { authorization: `Bearer ${x.h.admin.token}` },
    },
  ],
  deleteWebhookEndpointsById: async (x) => {
    const made = await x.h.admin.json<{ id: string }>('POST', '/v1/webhook-endpoints', {
      url: `${x.up.url}/hooks/gone`,
    });
    return [{ url: `/v1/webhook-endpoints/${made.body.id}`, headers: { authorization: `Bearer ${x.h.admin.token}` } }];
  },
  postWebhookEndpointsByIdRotateSecret: (x) => [
    {
      url: `/v1/webhook-endpoints/${x.endpointId}/rotate-secret`,
      headers: { authorization: `Bearer ${x.h.admin.token}` },
    },
  ],
  postWebhookEndpointsByIdTest: (x) => [
    { url: `/v1/webhook-endpoints/${x.endpointId}/test`, headers: { authorization: `Bearer ${x.h.admin.token}` } },
  ],
  getWebhookEndpointsByIdDeliveries: (x) => [
    {
      url: `/v1/webhook-endpoints/${x.endpointId}/deliveries`,
      headers: { authorization: `Bearer ${x.h.admin.token}` },
    },
  ],
  postWebhookEndpointsByIdReplay: (x) => [
    {
      url: `/v1/webhook-endpoints/${x.endpointId}/replay`,
      body: { since: '2020-01-01T00:00:00Z' },
      headers: { authorization: `Bearer ${x.h.admin.token}` },
    },
  ],
  getKeyStatus: (x) => [{ url: '/v1/keys', headers: { authorization: `Bearer ${x.h.admin.token}` } }],
  postCredentialsStartAuth: (x) => [
    { url: '/v1/credentials/start-auth', body: { credential_kind: 'sendgrid_key', redirect_url: DONE } },
    {
      url: '/v1/credentials/start-auth',
      body: { credential_kind: 'hubspot', oauth_app_id: x.hubspotAppId, redirect_url: DONE, state: { n: 1 } },
    },
  ],
  getConnectSessions: () => [{ url: '/v1/connect-sessions?limit=5' }],
  getConnectSessionsById: async (x) => {
    await startLink(x, { credential_kind: 'sendgrid_key' });
    const list = await x.c.json<{ data: Array<{ id: string }> }>('GET', '/v1/connect-sessions?limit=1');
    return [{ url: `/v1/connect-sessions/${list.body.data[0]?.id ?? 'none'}` }];
  },
  // The /link pages: a key form (200 HTML), a redirect to the provider (302), a used link (410 HTML).
  getLinkOauth2StartByToken: async (x) => {
    const used = await startLink(x, { credential_kind: 'sendgrid_key' });
    await x.h.rt.app.inject({ method: 'GET', url: used });
    return [
      { url: await startLink(x, { credential_kind: 'sendgrid_key' }) },
      { url: await startLink(x, { credential_kind: 'hubspot', oauth_app_id: x.hubspotAppId }) },
      { url: used },
    ];
  },
  // The provider sends the browser back (here with a refusal): 302 to the redirect_url; no cookie: 400 HTML.
  getLinkOauth2CallbackByProvider: async (x) => {
    const { res, cookie } = await openLink(x, { credential_kind: 'hubspot', oauth_app_id: x.hubspotAppId });
    const state = new URL(String(res.headers.location)).searchParams.get('state') ?? '';
    const url = `/link/oauth2/callback/hubspot?state=${encodeURIComponent(state)}&error=access_denied`;
    return [{ url, headers: { cookie } }, { url }];
  },
  // The key form: a refused key (422, the form again), then an accepted one (302 with the code).
  postLinkOauth2FormById: async (x) => {
    const [refused, accepted] = [await keyForm(x), await keyForm(x)];
    const headers = (f: { cookie: string }) => ({
      cookie: f.cookie,
      'content-type': 'application/x-www-form-urlencoded',
    });
    return [
      { url: refused.action, headers: headers(refused), raw: form({ csrf: refused.csrf, api_key: '' }) },
      { url: accepted.action, headers: headers(accepted), raw: form({ csrf: accepted.csrf, api_key: 'SG.conf.form' }) },
    ];
  },
  // Sequin's exchange of the code from the redirect: a flow without an OAuth app takes an API token.
  postLinkOauth2Token: async (x) => {
    const f = await keyForm(x);
    const done = await x.h.rt.app.inject({
      method: 'POST',
      url: f.action,
      headers: { cookie: f.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ csrf: f.csrf, api_key: 'SG.conformance.exchange' }),
    });
    const code = new URL(String(done.headers.location ?? DONE)).searchParams.get('code') ?? 'none';
    return [{ url: '/link/oauth2/token', body: { code } }];
  },
  revokeApiToken: async (x) => {
    const t = await x.c.json<{ id: string }>('POST', '/v1/api-tokens', {
      name: 'to revoke',
      scopes: ['credentials:read'],
    });
    return [{ url: `/v1/api-tokens/${t.body.id}` }];
  },
};

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function operationsOf(doc: JsonObject): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (isObject(op)) out.push({ method: method.toUpperCase(), path, operationId: String(op.operationId), op });
    }
  }
  return out;
}

/** A `#/components/...` reference resolved in the document. */
function deref(doc: JsonObject, value: unknown): JsonObject {
  let v = value;
  while (isObject(v) && typeof v.$ref === 'string') {
    let target: unknown = doc;
    for (const part of v.$ref.replace(/^#\//, '').split('/')) target = isObject(target) ? target[part] : undefined;
    v = target;
  }
  if (!isObject(v)) throw new Error('unresolvable reference');
  return v;
}

function pointer(...parts: string[]): string {
  return parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

describe.each(STORE_KINDS)('the OpenAPI document on %s', (kind) => {
  let h: Harness;
  let doc: JsonObject;
  let ajv: Ajv2020;
  let x: Ctx;
  let readOnly: string;
  const checked = new Map<string, Set<number>>();

  let up: Upstream;
  let sendgrid: Server;

  beforeAll(async () => {
    up = await startUpstream();
    // SendGrid for the Connect key form: /v3/scopes accepts any key; everything else (the proxy
    // cases) goes on to the echoing upstream.
    sendgrid = createServer((req, res) => {
      if (req.url === '/v3/scopes') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"scopes":["mail.send"]}');
      }
      const on = httpRequest(`${up.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(on);
    });
    await new Promise<void>((r) => sendgrid.listen(0, '127.0.0.1', r));
    const sendgridUrl = `http://127.0.0.1:${(sendgrid.address() as AddressInfo).port}`;
    h = await startHarness(kind, {
      CREDVAULT_PROVIDER_URL_SENDGRID: sendgridUrl,
      CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: up.url,
      CREDVAULT_CONNECT_REDIRECT_URLS: DONE,
      CREDVAULT_LINK_RATE_LIMIT: '0',
    });
    const c = await h.newAccount();
    doc = (await h.rt.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: DOC_ID });
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      name: 'Conf',
      properties: { kind: 'stripe_key', secret: 'sk_test_conformance_1' },
    });
    const appId = await createOAuthApp(c, 'stripe');
    const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'read only',
      scopes: ['credentials:read'],
    });
    readOnly = t.body.token;
    const proxied = await c.json<{ id: string }>('POST', '/v1/credentials', {
      name: 'Proxied',
      properties: { kind: 'sendgrid_key', api_key: 'SG.conformance.proxy' },
    });
    const endpoint = await h.admin.json<{ id: string }>('POST', '/v1/webhook-endpoints', { url: `${up.url}/hooks/1` });
    const hubspot = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'Conf HubSpot',
      provider: 'hubspot',
      client_id: 'cid',
      client_secret: 'csec',
      redirect_urls: [DONE],
    });
    x = {
      c,
      h,
      credentialId: cred.body.id,
      appId,
      proxiedId: proxied.body.id,
      up,
      endpointId: endpoint.body.id,
      hubspotAppId: hubspot.body.id,
    };
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await up?.close();
    sendgrid?.closeAllConnections();
    await new Promise((r) => sendgrid?.close(r));
  });

  /** Sends one request and checks its answer against the operation's declaration. */
  async function exercise(
    o: Operation,
    req: { url: string; payload?: string | Buffer; headers: Record<string, string> },
  ): Promise<Answer> {
    const res = await h.rt.app.inject({
      method: o.method as 'GET',
      url: req.url,
      headers: req.headers,
      ...(req.payload !== undefined ? { payload: req.payload } : {}),
    });
    const responses = isObject(o.op.responses) ? o.op.responses : {};
    const where = `${o.operationId} ${o.method} ${req.url} answered ${res.statusCode}`;
    // The status itself, else its range ("2XX") or "default": the proxy declares the provider's answers so.
    const status =
      [String(res.statusCode), `${String(res.statusCode).charAt(0)}XX`, 'default'].find((s) => s in responses) ?? '';
    expect(Object.keys(responses), `${where}: status not declared`).toContain(status);
    const declared = deref(doc, responses[status]);
    for (const name of Object.keys(isObject(declared.headers) ? declared.headers : {})) {
      if (name === 'Preference-Applied' && !/return=minimal/.test(req.headers.prefer ?? '')) continue;
      if (name === 'Retry-After' && res.statusCode === 503 && res.headers['retry-after'] === undefined) continue;
      expect(res.headers[name.toLowerCase()], `${where}: header ${name} missing`).toBeDefined();
    }
    const content = isObject(declared.content) ? declared.content : undefined;
    if (content) {
      // The answer's media type must be one the status declares: JSON is validated, an HTML page is a string.
      const type = String(res.headers['content-type']).split(';')[0]?.trim() ?? '';
      expect(Object.keys(content), `${where}: ${type} not declared`).toContain(type);
    }
    if (content && String(res.headers['content-type']).startsWith('application/json')) {
      const ref =
        isObject(responses[status]) && typeof (responses[status] as JsonObject).$ref === 'string'
          ? `${(responses[status] as JsonObject).$ref as string}/content/application~1json/schema`
          : `#/${pointer('paths', o.path, o.method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema')}`;
      const validate = ajv.getSchema(`${DOC_ID}${ref}`);
      if (!validate) throw new Error(`${where}: no schema at ${ref}`);
      const ok = validate(res.json());
      expect(ok, `${where}: ${ajv.errorsText(validate.errors)} in ${res.body.slice(0, 500)}`).toBe(true);
    }
    const statuses = checked.get(o.operationId) ?? new Set<number>();
    statuses.add(res.statusCode);
    checked.set(o.operationId, statuses);
    return { statusCode: res.statusCode, headers: res.headers, body: res.body };
  }

  function urlOf(o: Operation, id: string): string {
    return o.path.replace(/\{[^}]+\}/g, id);
  }

  it('/docs is titled credvault, shows its logo, and points at the README sections', async () => {
    const page = await h.rt.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>credvault API reference</title>');
    const init = await h.rt.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    const logo = /data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/.exec(init.body)?.[1] ?? '';
    expect(Buffer.from(logo, 'base64').toString()).toContain('>credvault</text>');
    const info = isObject(doc.info) ? doc.info : {};
    expect(String(info.description)).toMatch(/README[\s\S]*Connect[\s\S]*Proxy[\s\S]*Webhooks/);
  });

  it('declares an operationId for every operation, and has a success case for each', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(15);
    const missing = ops
      .filter((o) => !(o.operationId in SUCCESS))
      .map((o) => `${o.operationId} (${o.method} ${o.path})`);
    expect(missing, 'add a case to SUCCESS in this file for each new operation').toEqual([]);
  });

  it('every answer of every operation, successes and derived errors, matches the document', async () => {
    // The derived errors use the admin token (every scope), so the scope check passes first.
    const admin = { authorization: `Bearer ${x.h.admin.token}` };
    for (const o of operationsOf(doc)) {
      const auth = admin;
      const hasBody = isObject(o.op.requestBody);
      const params = Array.isArray(o.op.parameters) ? o.op.parameters.map((p) => deref(doc, p)) : [];
      const url = urlOf(o, x.credentialId);
      const json = { ...auth, 'content-type': 'application/json' };
      // No token, and a token with credentials:read only.
      const noToken = await exercise(o, { url, headers: {} });
      // Public routes (the /link pages, "Public: no token needed.") are only checked against the document.
      if (String(o.op.description).includes('Needs an API token')) expect(noToken.statusCode, o.operationId).toBe(401);
      await exercise(o, {
        url,
        headers: { authorization: `Bearer ${readOnly}`, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        ...(hasBody ? { payload: '{}' } : {}),
      });
      if (params.some((p) => p.in === 'path'))
        await exercise(o, {
          url: urlOf(o, randomUUID()),
          headers: hasBody ? json : auth,
          ...(hasBody ? { payload: '{}' } : {}),
        });
      if (params.some((p) => p.in === 'query' && p.name === 'limit'))
        expect((await exercise(o, { url: `${url}?limit=0`, headers: auth })).statusCode).toBe(422);
      if (hasBody) {
        expect(
          (await exercise(o, { url, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'hello' })).statusCode,
        ).toBe(415);
        expect((await exercise(o, { url, headers: json, payload: '{"name":' })).statusCode).toBe(400);
        await exercise(o, { url, headers: json, payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }) });
        await exercise(o, { url, headers: json, payload: '{}' });
      }
    }
    const auth = { authorization: `Bearer ${x.c.token}` };
    for (const o of operationsOf(doc)) {
      const make = SUCCESS[o.operationId];
      if (!make) continue;
      for (const r of await make(x)) {
        const headers: Record<string, string> = {
          ...auth,
          ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...r.headers,
        };
        const payload = r.raw ?? (r.body !== undefined ? JSON.stringify(r.body) : undefined);
        await exercise(o, { url: r.url, headers, ...(payload !== undefined ? { payload } : {}) });
      }
      const statuses = [...(checked.get(o.operationId) ?? [])];
      // A success: 2XX, or the 302 a /link page answers when the browser goes on.
      expect(
        statuses.some((s) => s < 400),
        `${o.operationId} never succeeded: ${statuses.join(', ')}`,
      ).toBe(true);
    }
  }, 120_000);
});
