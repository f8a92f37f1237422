/**
 * `POST /v1/credentials/{id}/access-token` has two doors (src/http/routes/access-token.ts): the
 * edge answers a plain request before Fastify, Fastify's route answers the rest. Every case below
 * is sent, byte for byte, to the running server and to a second server whose only listener is
 * Fastify's handler (`app.routing`, what inject() calls), and the answers compared. The edge's
 * reveals are audited like the route's, and neither door logs the token.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/accounts/tokens.js';
import { accessTokenEdgeId } from '../../src/http/routes/access-token.js';
import { type Fakes, importCase, startFakes } from '../health/support.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const UUID = '0b7f5a9e-2c1d-4e3f-8a9b-0c1d2e3f4a5b';
const PATH = `/v1/credentials/${UUID}/access-token`;

describe('accessTokenEdgeId: which requests the edge takes', () => {
  const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers });
  it('takes a plain POST of the exact path, and leaves bodies, queries and Idempotency-Keys to Fastify', () => {
    expect(accessTokenEdgeId(req('POST', PATH))).toBe(UUID);
    expect(accessTokenEdgeId(req('POST', PATH, { 'content-length': '0', authorization: 'Bearer x' }))).toBe(UUID);
    const left = [
      req('GET', PATH),
      req('PUT', PATH),
      req('POST', `${PATH}/`),
      req('POST', `${PATH}?x=1`),
      req('POST', PATH, { 'idempotency-key': 'k' }),
      req('POST', PATH, { 'content-type': 'application/json' }),
      req('POST', PATH, { 'content-length': '2' }),
      req('POST', PATH, { 'transfer-encoding': 'chunked' }),
      req('POST', '/v1/credentials/not-a-uuid/access-token'),
      req('POST', `/v1/credentials/${UUID}/check`),
      req('POST', `/x/v1/credentials/${UUID}/access-token`),
      req('POST', `http://h/v1/credentials/${UUID}/access-token`),
    ];
    for (const r of left) expect(accessTokenEdgeId(r)).toBeUndefined();
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

const COMPARED = ['cache-control', 'retry-after', 'content-type', 'idempotent-replayed'];

function normalize(a: Answer): unknown {
  let body: unknown = a.body;
  try {
    const parsed = JSON.parse(a.body) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object') delete parsed.request_id;
    if (typeof parsed.summary === 'string') parsed.summary = parsed.summary.replace(/[0-9a-f-]{36}/g, '<id>');
    body = parsed;
  } catch {
    // not JSON: compared as text
  }
  return {
    status: a.status,
    headers: Object.fromEntries(COMPARED.map((h) => [h, a.headers[h]])),
    requestId: typeof a.headers['x-request-id'] === 'string',
    body,
  };
}

describe.each(STORE_KINDS)('the edge and the access-token route on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let c: Client;
  let other: Client;
  let id: string;
  let secret: string;
  let port = 0;
  let routePort = 0;
  let routeServer: Server | undefined;
  beforeAll(async () => {
    fakes = await startFakes();
    h = await startHarness(store, fakes.env);
    c = await h.newAccount();
    other = await h.newAccount();
    const stripe = CASES.find((x) => x.kind === 'stripe_key');
    if (!stripe) throw new Error('stripe_key case');
    const seeded = stripe.seed(fakes.byProvider.stripe);
    secret = String(seeded.props.secret);
    id = await importCase(c, stripe, seeded);
    await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.rt.app.server.address() as AddressInfo).port;
    const routing = h.rt.app.routing.bind(h.rt.app);
    const server = createServer((req, res) => routing(req, res));
    routeServer = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    routePort = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    routeServer?.closeAllConnections();
    await new Promise((r) => routeServer?.close(r) ?? r(undefined));
    await h?.close();
    await fakes?.close();
  });

  const send = (to: number, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: to, method: 'POST', path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (b: Buffer) => chunks.push(b));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string | undefined>,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  const reveals = async (client: Client) =>
    (
      await client.json<{ data: Array<{ action: string; credential_id: string | null }> }>(
        'GET',
        '/v1/audit-events?limit=500',
      )
    ).body.data.filter((e) => e.action === 'credential.access_token_revealed' && e.credential_id === id).length;

  it('gives the same answers as the route: tokens, scopes, accounts, ids', async () => {
    const readOnly = (
      await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'at-ro', scopes: ['credentials:read'] })
    ).body.token;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const at = (x: string) => `/v1/credentials/${x}/access-token`;
    const cases: Array<[string, Record<string, string>]> = [
      [at(id), bearer(c.token)],
      [at(id), { ...bearer(c.token), 'content-length': '0' }],
      [at(id), {}],
      [at(id), { authorization: 'Bearer cv_not_a_real_token_0000000000' }],
      [at(id), bearer(readOnly)],
      [at(id), bearer(other.token)],
      [at(UUID), bearer(c.token)],
      [at(id.toUpperCase()), bearer(c.token)],
    ];
    const statuses = new Set<number>();
    for (const [path, headers] of cases) {
      const edge = await send(port, path, headers);
      const route = await send(routePort, path, headers);
      expect({ path, headers, ...(normalize(edge) as object) }).toEqual({
        path,
        headers,
        ...(normalize(route) as object),
      });
      statuses.add(edge.status);
    }
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 401, 403, 404]));
    const ok = JSON.parse((await send(port, at(id), bearer(c.token))).body) as Record<string, unknown>;
    expect(ok).toEqual({ credential_id: id, access_token: secret, token_type: 'bearer', expires_at: null });
  });

  it('the running server answers plain reveals at the edge, audits each one before answering, and logs no token', async () => {
    expect((h.rt.app.server.listeners('request')[0] as { name?: string }).name).toBe('credvaultEdge');
    const before = await reveals(c);
    for (let i = 0; i < 5; i++) {
      const res = await send(port, `/v1/credentials/${id}/access-token`, { authorization: `Bearer ${c.token}` });
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect(await reveals(c)).toBe(before + 5);
    // Refusals write no audit row.
    await send(port, `/v1/credentials/${id}/access-token`, { authorization: `Bearer ${other.token}` });
    expect(await reveals(c)).toBe(before + 5);
    expect(h.logs.join('')).not.toContain(secret);
    expect(h.logs.join('')).not.toContain(c.token);
  });

  it('scope matrix at the edge: only a token with secrets:reveal gets the token; each door answers alike', async () => {
    const before = await reveals(c);
    let answered = 0;
    for (const scope of SCOPES) {
      // Only the bootstrap admin can mint an admin token (for its own account).
      const minter = scope === 'admin' ? h.admin : c;
      const made = await minter.json<{ token: string }>('POST', '/v1/api-tokens', {
        name: `at-${scope}`,
        scopes: [scope],
      });
      expect(made.status).toBe(201);
      const headers = { authorization: `Bearer ${made.body.token}` };
      const edge = await send(port, `/v1/credentials/${id}/access-token`, headers);
      const route = await send(routePort, `/v1/credentials/${id}/access-token`, headers);
      expect({ scope, ...(normalize(edge) as object) }).toEqual({ scope, ...(normalize(route) as object) });
      if (scope === 'secrets:reveal') {
        expect(edge.status).toBe(200);
        answered += 2;
      } else {
        // An admin-only token does not reveal secrets either: the scope is checked before any lookup.
        expect(edge.status).toBe(403);
        expect(edge.body).not.toContain(secret);
      }
    }
    expect(await reveals(c)).toBe(before + answered);
  });

  it('leaves an Idempotency-Key to the route: a repeat answers 409 and never the token again', async () => {
    const headers = { authorization: `Bearer ${c.token}`, 'idempotency-key': `at-${store}` };
    const first = await send(port, `/v1/credentials/${id}/access-token`, headers);
    expect(first.status).toBe(200);
    const again = await send(port, `/v1/credentials/${id}/access-token`, headers);
    expect(again.status).toBe(409);
    expect(again.body).not.toContain(secret);
    const empty = await send(port, `/v1/credentials/${id}/access-token`, {
      authorization: `Bearer ${c.token}`,
      'content-type': 'application/json',
    });
    expect(empty.status).toBe(400);
  });
});
