/**
 * The edge (src/http/edge.ts) answers proxied calls before Fastify; Fastify's proxy route answers
 * `inject()` and what the edge leaves to the router. Both doors must give the same answers: every
 * request below is sent, byte for byte, to the running server (the edge) and to a second server
 * whose only listener is Fastify's own handler (`app.routing`, what inject() calls), and the
 * answers are compared (status, credvault's headers, body without the request id).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeCredentialId } from '../../src/http/routes/proxy.js';
import { type Fakes, importCase, startFakes } from '../health/support.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Upstream, startUpstream } from './upstream.js';

const UUID = '0b7f5a9e-2c1d-4e3f-8a9b-0c1d2e3f4a5b';

describe('edgeCredentialId: which requests the edge takes', () => {
  it('takes the five methods on /v1/proxy/credential/{uuid}/..., and nothing else', () => {
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])
      expect(edgeCredentialId(m, `/v1/proxy/credential/${UUID}/v3/x?y=1`)).toBe(UUID);
    expect(edgeCredentialId('GET', `/v1/proxy/credential/${UUID}/`)).toBe(UUID);
    expect(edgeCredentialId('GET', `/v1/proxy/credential/${UUID.toUpperCase()}/a`)).toBe(UUID.toUpperCase());
    const left = [
      ['HEAD', `/v1/proxy/credential/${UUID}/a`],
      ['OPTIONS', `/v1/proxy/credential/${UUID}/a`],
      ['GET', `/v1/proxy/credential/${UUID}`],
      ['GET', `/v1/proxy/credential/${UUID}?a=1`],
      ['GET', `/v1/proxy/credential/not-a-uuid/a`],
      ['GET', `/v1/proxy/credential/%30b7f5a9e-2c1d-4e3f-8a9b-0c1d2e3f4a5b/a`],
      ['GET', `/v1/proxy/credential/${UUID}x/a`],
      ['GET', `/v1/proxy/credentials/${UUID}/a`],
      ['GET', `/v1/credentials/${UUID}`],
      ['GET', `http://example.com/v1/proxy/credential/${UUID}/a`],
      [undefined, `/v1/proxy/credential/${UUID}/a`],
      ['GET', undefined],
    ] as const;
    for (const [m, u] of left) expect(edgeCredentialId(m, u)).toBeUndefined();
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** The headers whose values must match between the doors (x-request-id is compared for presence). */
const COMPARED = ['x-credvault-proxy-error', 'cache-control', 'retry-after', 'content-type', 'x-credvault-proxy-retry'];

function normalize(a: Answer): unknown {
  let body: unknown = a.body;
  try {
    const parsed = JSON.parse(a.body) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object') {
      delete parsed.request_id;
      if (typeof parsed.summary === 'string') parsed.summary = parsed.summary.replace(/[0-9a-f-]{36}/g, '<id>');
      // The upstream echoes the request's headers: the client's own differ between the two doors.
      delete parsed.headers;
    }
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

describe.each(STORE_KINDS)('the edge and the proxy route on %s', (store) => {
  let fakes: Fakes;
  let up: Upstream;
  let h: Harness;
  let c: Client;
  let other: Client;
  let id: string;
  let port = 0;
  let routePort = 0;
  let routeServer: Server | undefined;
  beforeAll(async () => {
    fakes = await startFakes();
    up = await startUpstream();
    h = await startHarness(store, { ...fakes.env, CREDVAULT_PROVIDER_URL_SENDGRID: up.url });
    c = await h.newAccount();
    other = await h.newAccount();
    const sg = CASES.find((x) => x.kind === 'sendgrid_key');
    if (!sg) throw new Error('sendgrid_key case');
    id = await importCase(c, sg, sg.seed(fakes.byProvider.sendgrid));
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
    await Promise.all([fakes?.close(), up?.close()]);
  });

  const send = (to: number, method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: to, method, path, headers }, (res) => {
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
  const overSocket = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    send(port, method, path, headers, body);
  const throughRoute = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    send(routePort, method, path, headers, body);

  it('the running server answers proxied calls at the edge', () => {
    const listeners = h.rt.app.server.listeners('request');
    expect(listeners).toHaveLength(1);
    expect((listeners[0] as { name?: string }).name).toBe('credvaultEdge');
  });

  it('gives the same answers as the route: tokens, scopes, accounts, paths, success', async () => {
    const readOnly = (
      await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'edge-ro', scopes: ['credentials:read'] })
    ).body.token;
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const cases: Array<[string, string, Record<string, string>, string?]> = [
      ['GET', `/v1/proxy/credential/${id}/v3/templates?limit=1`, bearer(c.token)],
      ['POST', `/v1/proxy/credential/${id}/v3/mail/send`, { ...bearer(c.token), 'content-type': 'text/plain' }, 'hi'],
      ['DELETE', `/v1/proxy/credential/${id}/v3/templates/1`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3/templates`, {}],
      ['GET', `/v1/proxy/credential/${id}/v3/templates`, { authorization: 'Bearer cv_not_a_real_token_0000000000' }],
      ['GET', `/v1/proxy/credential/${id}/v3/templates`, { authorization: 'Basic abc' }],
      ['GET', `/v1/proxy/credential/${id}/v3/templates`, bearer(readOnly)],
      ['GET', `/v1/proxy/credential/${id}/v3/templates`, bearer(other.token)],
      ['GET', `/v1/proxy/credential/${UUID}/v3/templates`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3/%2e%2e/admin`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3//x`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3/a%2fb`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/http:%2f%2fevil.example/x`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3/x%zz`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/ratelimited`, bearer(c.token)],
      ['GET', `/v1/proxy/credential/${id}/v3/x?q=%00`, bearer(c.token)],
    ];
    for (const [method, path, headers, body] of cases) {
      const edge = await overSocket(method, path, headers, body);
      const route = await throughRoute(method, path, headers, body);
      expect({ path, ...(normalize(edge) as object) }).toEqual({ path, ...(normalize(route) as object) });
    }
    // The cases did reach both outcomes: the provider's answers and credvault's own refusals.
    const statuses = new Set<number>();
    for (const [method, path, headers, body] of cases)
      statuses.add((await overSocket(method, path, headers, body)).status);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 400, 401, 403, 404, 429]));
  });

  it('answers credvault errors in the house shape with no-store and a request id at the edge', async () => {
    const res = await overSocket('GET', `/v1/proxy/credential/${UUID}/v3/x`, { authorization: `Bearer ${c.token}` });
    expect(res.status).toBe(404);
    expect(res.headers['x-credvault-proxy-error']).toBe('not_found');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.body)).toEqual({ summary: 'No credential with that id exists in this account.' });
    const unauth = await overSocket('GET', `/v1/proxy/credential/${id}/v3/x`, {});
    expect(unauth.status).toBe(401);
    expect(unauth.body).not.toContain(c.token);
  });
});
