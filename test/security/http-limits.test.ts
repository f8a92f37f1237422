/** Per-address limit on failed authentications; request timeouts against slow (slowloris) clients. */
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const bad = (i: number) => `plausible-but-unknown-token-${String(i).padStart(8, '0')}`;

describe.each(STORE_KINDS)('HTTP limits on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store, { CREDVAULT_AUTH_FAILURE_LIMIT: '5', CREDVAULT_REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => h?.close());

  const get = (token: string, remoteAddress: string) =>
    h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials',
      remoteAddress,
      headers: { authorization: `Bearer ${token}` },
    });

  it('answers 429 to an address after its budget of failed authentications, without touching other addresses', async () => {
    const c = await h.newAccount();
    expect((await get(c.token, '10.0.0.7')).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await get(bad(i), '10.0.0.7')).statusCode).toBe(401);
    const limited = await get(bad(99), '10.0.0.7');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.json()).toMatchObject({
      summary: expect.stringMatching(/failed authentications from this address/),
    });
    // A token already authenticated (cached) from that address still works; other addresses are unaffected.
    expect((await get(c.token, '10.0.0.7')).statusCode).toBe(200);
    expect((await get(bad(100), '10.0.0.8')).statusCode).toBe(401);
    expect((await get(c.token, '10.0.0.8')).statusCode).toBe(200);
  });

  it('closes connections that trickle a request slower than the request timeout', async () => {
    await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.rt.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const c = await h.newAccount();
    // Half trickle their headers (the server cannot answer before they end), half trickle an
    // authenticated body.
    const trickle = (s: Socket, i: number) => {
      if (i % 2 === 0) {
        s.write('POST /v1/credentials HTTP/1.1\r\nHost: x\r\n');
        return setInterval(() => s.writable && s.write('X'), 100);
      }
      s.write(
        `POST /v1/credentials HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
      );
      return setInterval(() => s.writable && s.write('{'), 100);
    };
    const sockets = Array.from({ length: 10 }, () => connect(port, '127.0.0.1'));
    const closed = sockets.map(
      (s, i) =>
        new Promise<string>((resolve) => {
          let got = '';
          s.on('data', (b: Buffer) => (got += b.toString()));
          s.on('error', () => undefined);
          const timer = trickle(s, i);
          s.on('close', () => {
            clearInterval(timer);
            resolve(got);
          });
        }),
    );
    const answers = await Promise.all(closed);
    // Every slow socket was closed by the server (with a 408 where it could still answer).
    expect(answers).toHaveLength(10);
    for (const a of answers) expect(a === '' || a.startsWith('HTTP/1.1 408'), a.slice(0, 300)).toBe(true);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(ok.status).toBe(200);
  }, 30_000);
});
