/** Issue 13 item 9: /docs headers and traversal, the bulk 413, refused API keys, NFC identities. */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('small security items on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('serves /docs with CSP, nosniff and frame-ancestors none', async () => {
    for (const url of ['/docs', '/docs/', '/docs/static/index.html']) {
      const res = await h.rt.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBeLessThan(400);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(String(res.headers['content-security-policy']), url).toMatch(/frame-ancestors 'none'/);
      expect(String(res.headers['content-security-policy']), url).toMatch(/default-src 'self'/);
    }
  });

  it('answers 404, not 500, to path traversal under /docs/static (over real HTTP: inject normalizes paths)', async () => {
    await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.rt.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const raw = (path: string) =>
      new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1', () =>
          s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let got = '';
        s.on('data', (b: Buffer) => (got += b.toString()));
        s.on('close', () => resolve(got));
      });
    const attempts = [
      '/docs/static/../../package.json',
      '/docs/static/%2e%2e/%2e%2e/package.json',
      '/docs/static/%2e%2e%5c%2e%2e%5cpackage.json',
      '/docs/static/..\\..\\package.json',
      '/docs/static/%00',
      '/docs/static/%2e%2e',
      '/docs/static//etc/passwd',
      '/docs/static/....//....//package.json',
    ];
    for (const path of attempts) {
      const res = await raw(path);
      expect(res.split('\r\n')[0], path).toBe('HTTP/1.1 404 Not Found');
      expect(res, path).not.toContain('"name": "credvault"');
    }
    expect((await raw('/docs/static/index.css')).split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it("states the bulk route's real limit (16 MiB) in its 413", async () => {
    const big = JSON.stringify({
      items: [{ properties: { kind: 'stripe_key', secret: 'x'.repeat(17 * 1024 * 1024) } }],
    });
    const res = await c.req('POST', '/v1/credentials/bulk', big);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ summary: expect.stringMatching(/16 MiB/) });
    const single = await c.req(
      'POST',
      '/v1/credentials',
      JSON.stringify({ properties: { kind: 'stripe_key', secret: 'x'.repeat(2 * 1024 * 1024) } }),
    );
    expect(single.statusCode).toBe(413);
    expect(single.json()).toMatchObject({ summary: expect.stringMatching(/\b1 MiB/) });
  });

  it('answers 409 on /access-token for an API key credential in error, as the README says', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_refusedKey1' },
    });
    expect((await c.req('POST', `/v1/credentials/${cred.body.id}/access-token`)).statusCode).toBe(200);
    await h.rt.store.db
      .updateTable('credentials')
      .set({ health_status: 'error' })
      .where('id', '=', cred.body.id)
      .execute();
    const res = await c.req('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(res.statusCode).toBe(409);
    expect(res.body).not.toContain('sk_live_refusedKey1');
  });

  it('NFC-normalizes identities: café composed and decomposed are one credential', async () => {
    const composed = 'caf\u00e9-user';
    const decomposed = 'cafe\u0301-user';
    expect(composed).not.toBe(decomposed);
    const a = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'checkout_champ_password', login_id: composed, password: 'pw1' },
    });
    const b = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'checkout_champ_password', login_id: decomposed, password: 'pw2' },
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
  });
});
