import { describe, expect, it } from 'vitest';
import { createOutboundHttp } from '../../src/net/outbound.js';
import { closedPort, expectFailure, trackedListeners } from './listeners.js';

const server = trackedListeners();

describe('exchange', () => {
  it('passes method, headers and body, forces accept-encoding: identity, flattens response headers', async () => {
    const target = await server((_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(201, { 'x-reply': 'yes' });
      res.end('{"id":1}');
    });
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [target.origin] });
    const r = await client.request({
      method: 'POST',
      url: `${target.origin}/oauth/token?x=1`,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Accept-Encoding': 'gzip',
        Authorization: 'Basic abc',
      },
      body: 'grant_type=refresh_token',
    });
    expect(r).toEqual({
      ok: true,
      response: {
        status: 201,
        headers: expect.objectContaining({ 'x-reply': 'yes', 'set-cookie': 'a=1, b=2' }),
        body: '{"id":1}',
      },
    });
    const seen = target.requests[0];
    expect(seen).toMatchObject({ method: 'POST', url: '/oauth/token?x=1', body: 'grant_type=refresh_token' });
    expect(seen?.headers).toMatchObject({
      'accept-encoding': 'identity',
      authorization: 'Basic abc',
      'content-length': '24',
    });
  });

  it('answers a refused connection as network_error', async () => {
    const port = await closedPort();
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [`http://127.0.0.1:${port}`] });
    expect(await client.request({ method: 'GET', url: `http://127.0.0.1:${port}/` })).toMatchObject({
      ok: false,
      reason: 'network_error',
    });
  });

  it('answers an invalid header value as network_error instead of throwing', async () => {
    const target = await server();
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [target.origin] });
    const r = await client.request({
      method: 'GET',
      url: `${target.origin}/`,
      headers: { 'x-evil': 'a\r\nHost: other' },
    });
    expectFailure(r, 'network_error');
  });

  it('answers a failed DNS lookup as network_error', async () => {
    const lookup = async (): Promise<string[]> => {
      throw new Error('getaddrinfo ENOTFOUND');
    };
    const r = await createOutboundHttp({ timeoutMs: 2000, lookup }).request({
      method: 'GET',
      url: 'https://nowhere.example.com/',
    });
    expectFailure(r, 'network_error');
  });
});

describe('timeouts', () => {
  it('answers a server that never responds with timeout', async () => {
    const target = await server(() => undefined);
    const client = createOutboundHttp({ timeoutMs: 200, allowedOrigins: [target.origin] });
    const started = Date.now();
    expectFailure(await client.request({ method: 'GET', url: `${target.origin}/` }), 'timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('covers the body too, and a request may set its own deadline', async () => {
    const target = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    const client = createOutboundHttp({ timeoutMs: 60_000, allowedOrigins: [target.origin] });
    expectFailure(await client.request({ method: 'GET', url: `${target.origin}/`, timeoutMs: 200 }), 'timeout');
  });

  it('covers DNS resolution', async () => {
    const lookup = (): Promise<string[]> => new Promise(() => undefined);
    const r = await createOutboundHttp({ timeoutMs: 200, lookup }).request({
      method: 'GET',
      url: 'https://slow-dns.example.com/',
    });
    expectFailure(r, 'timeout');
  });
});

describe('response size cap', () => {
  it('accepts exactly the default cap of 1 MiB', async () => {
    const target = await server((_req, res) => res.end('x'.repeat(1024 * 1024)));
    const r = await createOutboundHttp({ timeoutMs: 5000, allowedOrigins: [target.origin] }).request({
      method: 'GET',
      url: `${target.origin}/`,
    });
    expect(r.ok && r.response.body.length).toBe(1024 * 1024);
  });

  it('refuses a declared length over the cap', async () => {
    const target = await server((_req, res) => res.end('x'.repeat(1024 * 1024 + 1)));
    const r = await createOutboundHttp({ timeoutMs: 5000, allowedOrigins: [target.origin] }).request({
      method: 'GET',
      url: `${target.origin}/`,
    });
    expectFailure(r, 'too_large');
  });

  it('stops reading an endless chunked body once past the cap', async () => {
    let closed = false;
    const target = await server((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('y'.repeat(64 * 1024)), 5);
      res.on('close', () => {
        closed = true;
        clearInterval(timer);
      });
    });
    const client = createOutboundHttp({ timeoutMs: 10_000, maxBodyBytes: 256 * 1024, allowedOrigins: [target.origin] });
    expectFailure(await client.request({ method: 'GET', url: `${target.origin}/` }), 'too_large');
    await expect.poll(() => closed).toBe(true);
  });
});

describe('redirects', () => {
  it('refuses a redirect to another host, which never sees a connection', async () => {
    const other = await server();
    const first = await server((_req, res) => {
      res.writeHead(302, { location: `${other.origin}/metadata` });
      res.end('moved');
    });
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [first.origin, other.origin] });
    expectFailure(await client.request({ method: 'GET', url: `${first.origin}/` }), 'redirect_refused');
    expectFailure(
      await client.request({ method: 'GET', url: `${first.origin.replace('127.0.0.1', 'localhost')}/` }),
      'blocked_host',
    );
    expect(other.connections).toBe(0);
  });

  it('returns a same-origin redirect as an ordinary response, without following it', async () => {
    const target = await server((_req, res) => {
      res.writeHead(301, { location: '/next' });
      res.end();
    });
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [target.origin] });
    const r = await client.request({ method: 'GET', url: `${target.origin}/start` });
    expect(r).toMatchObject({ ok: true, response: { status: 301, headers: { location: '/next' } } });
    expect(target.requests.map((q) => q.url)).toEqual(['/start']);
  });
});

describe('failure messages carry no request data', () => {
  const SECRET = 'sk_live_CANARY123';
  it('never echoes the path, query, headers or body', async () => {
    const silent = await server(() => undefined);
    const redirect = await server((_req, res) => {
      res.writeHead(302, { location: `https://elsewhere.example.com/?t=${SECRET}` });
      res.end();
    });
    const big = await server((_req, res) => res.end(`${SECRET}${'z'.repeat(100)}`));
    const client = createOutboundHttp({
      timeoutMs: 200,
      maxBodyBytes: 50,
      allowedOrigins: [silent.origin, redirect.origin, big.origin],
    });
    const send = (url: string) =>
      client.request({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${SECRET}`, 'x-k': SECRET },
        body: `secret=${SECRET}`,
      });
    const results = [
      await send(`http://127.0.0.1/${SECRET}?token=${SECRET}`),
      await send(`${silent.origin}/oauth/v1/access-tokens/${SECRET}?token=${SECRET}`),
      await send(`${redirect.origin}/x/${SECRET}?token=${SECRET}`),
      await send(`${big.origin}/x/${SECRET}?token=${SECRET}`),
      await send(`http://127.0.0.1:${await closedPort()}/${SECRET}`),
      await send(`https://user:${SECRET}@example.com/`),
    ];
    expect(results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual([
      'blocked_host',
      'timeout',
      'redirect_refused',
      'too_large',
      'blocked_host',
      'blocked_host',
    ]);
    for (const r of results) expect(JSON.stringify(r)).not.toContain('CANARY');
  });
});
