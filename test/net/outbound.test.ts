import tls from 'node:tls';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createOutboundHttp } from '../../src/net/outbound.js';
import { expectFailure, fixedLookup, trackedListeners } from './listeners.js';

const server = trackedListeners();

/**
 * undici (pinned-pools.ts) takes a connection back one event-loop turn after its answer, on
 * purpose (a server may close right after answering): sequential requests wait that turn.
 */
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('SSRF vectors are refused and never contacted', () => {
  it('refuses every IP literal form and local name, in http and https', async () => {
    const target = await server();
    const lookup = fixedLookup('127.0.0.1');
    const client = createOutboundHttp({ timeoutMs: 2000, lookup });
    const hosts = [
      '127.0.0.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '127.0.0.1.',
      '0.0.0.0',
      '0',
      '[::]',
      'localhost',
      'app.localhost',
      'metadata.google.internal',
      'intranet',
    ];
    for (const scheme of ['http', 'https']) {
      for (const host of hosts) {
        const r = await client.request({ method: 'GET', url: `${scheme}://${host}:${target.port}/` });
        expect(r, `${scheme}://${host}`).toMatchObject({ ok: false, reason: 'blocked_host' });
      }
    }
    expect(lookup.calls).toBe(0);
    expect(target.connections).toBe(0);
  });

  it.each([
    ['loopback', ['127.0.0.1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['private', ['10.0.0.5']],
    ['metadata', ['169.254.169.254']],
    ['mapped metadata', ['::ffff:169.254.169.254']],
    ['IPv6 metadata', ['fd00:ec2::254']],
    ['public then private', ['93.184.215.14', '127.0.0.1']],
    ['private then public', ['127.0.0.1', '93.184.215.14']],
    ['garbage', ['not-an-address']],
  ])('refuses a name resolving to %s', async (_label, addresses) => {
    const target = await server();
    const lookup = fixedLookup(...addresses);
    const client = createOutboundHttp({ timeoutMs: 2000, lookup });
    const r = await client.request({
      method: 'GET',
      url: `https://api.provider.example.com:${target.port}/v1/account`,
    });
    expect(r).toMatchObject({ ok: false, reason: 'blocked_host' });
    expect(lookup.calls).toBe(1);
    expect(target.connections).toBe(0);
  });

  it.each([
    'http://api.provider.example.com/',
    'ftp://api.provider.example.com/',
    'file:///etc/passwd',
    'not a url',
    'https://user:pw@api.provider.example.com/',
  ])('refuses %s before resolving it', async (url) => {
    const lookup = fixedLookup('93.184.215.14');
    const r = await createOutboundHttp({ timeoutMs: 2000, lookup }).request({ method: 'GET', url });
    expectFailure(r, 'blocked_host');
    expect(lookup.calls).toBe(0);
  });
});

describe('allowedOrigins (operator overrides)', () => {
  it('lets the allowed http://127.0.0.1:PORT through and refuses another port', async () => {
    const allowed = await server();
    const other = await server();
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [`${allowed.origin}/stripe/`] });
    const r = await client.request({ method: 'GET', url: `${allowed.origin}/v1/account` });
    expect(r).toEqual({ ok: true, response: expect.objectContaining({ status: 200, body: 'hello' }) });
    expect(allowed.connections).toBe(1);
    expectFailure(await client.request({ method: 'GET', url: `${other.origin}/v1/account` }), 'blocked_host');
    expectFailure(await client.request({ method: 'GET', url: `https://127.0.0.1:${allowed.port}/` }), 'blocked_host');
    expect(other.connections).toBe(0);
  });

  it('connects to the checked address only (a second DNS answer is never used)', async () => {
    const target = await server();
    let calls = 0;
    const lookup = async (): Promise<string[]> => (++calls === 1 ? ['127.0.0.1'] : ['10.255.255.1']);
    const origin = `http://fake-stripe.example.com:${target.port}`;
    const client = createOutboundHttp({ timeoutMs: 2000, lookup, allowedOrigins: [origin] });
    const r = await client.request({ method: 'GET', url: `${origin}/v1/account` });
    expect(r.ok).toBe(true);
    expect(calls).toBe(1);
    expect(target.requests[0]?.headers.host).toBe(`fake-stripe.example.com:${target.port}`);
  });

  it('keeps the name as TLS SNI while connecting to the pinned address', async () => {
    const names: string[] = [];
    const tlsServer = tls.createServer({
      SNICallback: (name, cb) => {
        names.push(name);
        cb(new Error('no certificate here'));
      },
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as AddressInfo;
    const origin = `https://fake-sf.example.com:${port}`;
    const client = createOutboundHttp({ timeoutMs: 2000, lookup: fixedLookup('127.0.0.1'), allowedOrigins: [origin] });
    const r = await client.request({ method: 'GET', url: `${origin}/services/oauth2/userinfo` });
    await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    expectFailure(r, 'network_error');
    expect(names).toEqual(['fake-sf.example.com']);
  });

  it('refuses a malformed allowedOrigins entry at construction', () => {
    expect(() => createOutboundHttp({ timeoutMs: 1000, allowedOrigins: ['127.0.0.1:80'] })).toThrow(TypeError);
  });
});

describe('keepAliveGets: check GETs on pooled sockets, token POSTs on a socket each', () => {
  const pool = { maxSockets: 4, idleMs: 4000 };

  it('reuses one socket for GETs to an origin; every POST opens and closes its own', async () => {
    const target = await server();
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [target.origin], keepAliveGets: pool });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await client.request({ method: 'GET', url: `${target.origin}/v1/account` });
        expect(r).toEqual({ ok: true, response: expect.objectContaining({ status: 200, body: 'hello' }) });
        await nextTurn();
      }
      expect(target.connections).toBe(1);
      for (let i = 0; i < 3; i++) {
        const r = await client.request({ method: 'POST', url: `${target.origin}/oauth/token`, body: 'grant_type=x' });
        expect(r.ok).toBe(true);
      }
      expect(target.connections).toBe(4);
      expect(target.requests.map((q) => q.method)).toEqual(['GET', 'GET', 'GET', 'POST', 'POST', 'POST']);
    } finally {
      client.close();
    }
  });

  it('without it (the default) every GET has a socket of its own', async () => {
    const target = await server();
    const client = createOutboundHttp({ timeoutMs: 2000, allowedOrigins: [target.origin] });
    for (let i = 0; i < 2; i++)
      expect((await client.request({ method: 'GET', url: `${target.origin}/` })).ok).toBe(true);
    expect(target.connections).toBe(2);
  });

  it('reuses a socket only for the address the request was validated to', async () => {
    // Listens on every loopback address, so the second DNS answer (127.0.0.2) is reachable.
    const seen: string[] = [];
    const srv = createServer((req, res) => res.end(req.socket.localAddress ?? ''));
    srv.on('connection', (s) => seen.push(s.localAddress ?? ''));
    await new Promise<void>((r) => srv.listen(0, '0.0.0.0', r));
    const { port } = srv.address() as AddressInfo;
    const answers = [['127.0.0.1'], ['127.0.0.1'], ['127.0.0.2']];
    const origin = `http://svc.internal:${port}`;
    const client = createOutboundHttp({
      timeoutMs: 2000,
      allowedOrigins: [origin],
      lookup: async () => answers.shift() ?? [],
      keepAliveGets: pool,
    });
    try {
      const bodies: string[] = [];
      for (const path of ['/a', '/b', '/c']) {
        const r = await client.request({ method: 'GET', url: `${origin}${path}` });
        bodies.push(r.ok ? r.response.body : r.reason);
        await nextTurn();
      }
      expect(bodies).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.2']);
      // The name resolved elsewhere: a new connection there, the pooled one to 127.0.0.1 unused.
      expect(seen).toEqual(['127.0.0.1', '127.0.0.2']);
    } finally {
      client.close();
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('never reuses a socket whose answer was cut off (too large, timeout): the next GET connects anew', async () => {
    const target = await server((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200);
        res.end('x'.repeat(4096));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 1500);
      } else res.end('hello');
    });
    const client = createOutboundHttp({
      timeoutMs: 300,
      maxBodyBytes: 1024,
      allowedOrigins: [target.origin],
      keepAliveGets: pool,
    });
    try {
      expect((await client.request({ method: 'GET', url: `${target.origin}/ok` })).ok).toBe(true);
      expectFailure(await client.request({ method: 'GET', url: `${target.origin}/big` }), 'too_large');
      const after = await client.request({ method: 'GET', url: `${target.origin}/ok` });
      expect(after.ok && after.response.body).toBe('hello');
      expect(target.connections).toBe(2);
      expectFailure(await client.request({ method: 'GET', url: `${target.origin}/slow` }), 'timeout');
      const last = await client.request({ method: 'GET', url: `${target.origin}/ok` });
      expect(last.ok && last.response.body).toBe('hello');
      expect(target.connections).toBe(3);
    } finally {
      client.close();
    }
  });
});
