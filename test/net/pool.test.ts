/** The proxy's pooled client: keep-alive per origin AND pinned address; the outbound checks apply. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamingHttp, type StreamedAnswer } from '../../src/net/pool.js';

function body(res: StreamedAnswer): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.body.pipeTo({
      data(chunk) {
        text += String(chunk);
        return true;
      },
      end: () => resolve(text),
      error: reject,
    });
  });
}

describe('streaming client with a keep-alive pool per origin and address', () => {
  let server: Server;
  let port = 0;
  const sockets: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.end(`${req.socket.localAddress ?? ''} ${req.headers.host ?? ''}`);
    });
    server.on('connection', (s) => sockets.push(s.localAddress ?? ''));
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('reuses a socket only for a request validated to the same address; a new DNS answer gets a new pool', async () => {
    const answers = [['127.0.0.1'], ['127.0.0.1'], ['127.0.0.2']];
    const client = createStreamingHttp({
      allowedOrigins: [`http://svc.internal:${port}`],
      lookup: async () => answers.shift() ?? [],
    });
    sockets.length = 0;
    const first = await client.request({
      method: 'GET',
      url: `http://svc.internal:${port}/a`,
      headers: {},
      timeoutMs: 2000,
    });
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(await body(first.response)).toBe(`127.0.0.1 svc.internal:${port}`);
    // undici takes a connection back one event-loop turn after its answer, on purpose (a server
    // may close right after answering; pinned-pools.ts): sequential requests wait that turn.
    await new Promise((r) => setImmediate(r));
    const second = await client.request({
      method: 'GET',
      url: `http://svc.internal:${port}/b`,
      headers: {},
      timeoutMs: 2000,
    });
    expect(second.ok).toBe(true);
    if (second.ok) await body(second.response);
    // Two requests to the same validated address, one connection.
    expect(sockets).toEqual(['127.0.0.1']);
    // The name now resolves elsewhere: the pooled socket to 127.0.0.1 is not used for it.
    const third = await client.request({
      method: 'GET',
      url: `http://svc.internal:${port}/c`,
      headers: {},
      timeoutMs: 2000,
    });
    expect(third.ok).toBe(true);
    if (third.ok) expect(await body(third.response)).toBe(`127.0.0.2 svc.internal:${port}`);
    expect(sockets).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(client.pools()).toBe(2);
    client.close();
  });

  it('keeps the outbound rules: http and private addresses only for override origins', async () => {
    const client = createStreamingHttp({ lookup: async () => ['10.0.0.5'] });
    const plain = await client.request({
      method: 'GET',
      url: `http://127.0.0.1:${port}/`,
      headers: {},
      timeoutMs: 1000,
    });
    expect(plain.ok).toBe(false);
    if (!plain.ok) expect(plain.reason).toBe('blocked_host');
    const rebound = await client.request({
      method: 'GET',
      url: 'https://api.example.com/',
      headers: {},
      timeoutMs: 1000,
    });
    expect(rebound.ok).toBe(false);
    if (!rebound.ok) expect(rebound.reason).toBe('blocked_host');
    expect(sockets.length).toBe(2);
    client.close();
  });
});
