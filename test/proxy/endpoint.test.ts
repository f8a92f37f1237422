/**
 * The proxy endpoint (src/http/routes/proxy.ts) on its own: it answers before Fastify at the edge,
 * so the answers Fastify's hooks and error handler used to give are its own now. Every failure
 * is an answer in the house shape, with no-store and a request id, never an internal message.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthContext } from '../../src/accounts/service.js';
import { createShutdownGate } from '../../src/http/shutdown.js';
import type { AuthDone } from '../../src/http/request-auth.js';
import { createProxyEndpoint, type ProxyEndpointDeps } from '../../src/http/routes/proxy.js';
import { UnauthorizedError } from '../../src/lib/errors.js';
import type { ProxyService } from '../../src/proxy/service.js';
import type { UsageCounter } from '../../src/proxy/usage.js';
import { StorageUnavailableError } from '../../src/store/availability.js';
import { captureLogger } from '../support/harness.js';

const SECRET = 'sk_live_endpoint_marker_0123456789';
const ID = '0b7f5a9e-2c1d-4e3f-8a9b-0c1d2e3f4a5b';
const AUTH = { accountId: 'acct', tokenId: 'tok', scopes: new Set(['credentials:use']) } as unknown as AuthContext;

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** One endpoint behind a bare node:http server (as the edge puts it), and one GET to it. */
async function answerOf(over: Partial<ProxyEndpointDeps>) {
  const { log, lines } = captureLogger('info');
  const used: unknown[][] = [];
  const endpoint = createProxyEndpoint({
    proxy: { call: () => Promise.reject(new Error('not called')) } as unknown as ProxyService,
    usage: { add: (...a: unknown[]) => used.push(a) } as unknown as UsageCounter,
    maxAnswerBytes: 1024,
    log,
    authenticate: (_h: string | undefined, _a: string, _s: string, done: AuthDone) => done(undefined, AUTH),
    ...over,
  });
  const server = createServer((req, res) => endpoint.serve(req, res, ID, 'req-id-1'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => new Promise<void>((r) => server.close(() => r()));
  const port = (server.address() as AddressInfo).port;
  const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: `/v1/proxy/credential/${ID}/v1/x?q=${SECRET}` }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (b: Buffer) => chunks.push(b));
        r.on('end', () =>
          resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
  return { ...res, logs: lines.join(''), used };
}

describe('the proxy endpoint', () => {
  it('answers 503 in the house shape while the node closes, before looking at the token', async () => {
    const gate = createShutdownGate();
    gate.begin();
    let asked = 0;
    const a = await answerOf({
      gate,
      authenticate: (_h, _a, _s, done) => {
        asked++;
        done(new UnauthorizedError());
      },
    });
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('1');
    expect(a.headers.connection).toBe('close');
    expect(JSON.parse(a.body)).toEqual({
      summary: 'This node is shutting down; retry the request (another node will answer).',
      request_id: 'req-id-1',
    });
    expect(asked).toBe(0);
  });

  it('answers a refused token with its status, no-store and the request id; nothing is counted', async () => {
    const a = await answerOf({ authenticate: (_h, _a, _s, done) => done(new UnauthorizedError()) });
    expect(a.status).toBe(401);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.headers['x-request-id']).toBe('req-id-1');
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(a.body)).toEqual({ summary: 'Send a valid API token as "Authorization: Bearer <token>".' });
    expect(a.used).toHaveLength(0);
  });

  it('answers an unknown failure 500 with the request id, never its message; logged without request data', async () => {
    const a = await answerOf({
      proxy: { call: () => Promise.reject(new Error(`boom ${SECRET}`)) } as unknown as ProxyService,
    });
    expect(a.status).toBe(500);
    expect(JSON.parse(a.body)).toEqual({
      summary: 'Something went wrong on our side. Quote request id req-id-1 when reporting it.',
      request_id: 'req-id-1',
    });
    expect(a.body).not.toContain(SECRET);
    expect(a.logs).toContain('unhandled error');
    expect(a.logs).toContain('req-id-1');
    expect(a.logs).not.toContain(SECRET);
    // A refusal is still one use count (not a 404).
    expect(a.used).toHaveLength(1);
  });

  it('answers storage trouble 503 with Retry-After', async () => {
    const a = await answerOf({
      authenticate: (_h, _a, _s, done) => done(new StorageUnavailableError('db down')),
    });
    expect(a.status).toBe(503);
    expect(a.headers['retry-after']).toBe('1');
    expect(JSON.parse(a.body)).toMatchObject({ request_id: 'req-id-1' });
  });

  it('answers even when the token check itself throws', async () => {
    const a = await answerOf({
      authenticate: () => {
        throw new Error(`check failed ${SECRET}`);
      },
    });
    expect(a.status).toBe(500);
    expect(a.body).not.toContain(SECRET);
  });
});
