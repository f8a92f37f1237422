/**
 * Proxy behaviour (proxy spec "Rules"): path escapes, refresh on 401 (single flight, replay only
 * when replayable), passive health, streaming caps both ways, scopes, accounts, secrets, fuzzing.
 */
import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import { type Fakes, importCase, startFakes } from '../health/support.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Upstream, startUpstream } from './upstream.js';

const caseOf = (kind: string) => {
  const c = CASES.find((x) => x.kind === kind);
  if (!c) throw new Error(kind);
  return c;
};

/** A listener standing for "another host": it must never see a connection. */
async function startEvil(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let n = 0;
  const server: Server = createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => n,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe.each(STORE_KINDS)('the proxy on %s', (store) => {
  let fakes: Fakes;
  let up: Upstream;
  let evil: Awaited<ReturnType<typeof startEvil>>;
  let h: Harness;
  let c: Client;
  let sendgridId: string;
  let base: string;
  beforeAll(async () => {
    fakes = await startFakes();
    up = await startUpstream();
    evil = await startEvil();
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_PROVIDER_URL_SENDGRID: up.url,
      CREDVAULT_PROXY_MAX_ANSWER_BYTES: String(8 * 1024 * 1024),
      CREDVAULT_PROVIDER_TIMEOUT_MS: '3000',
      CREDVAULT_PROXY_TIMEOUT_MS: '4000',
    });
    c = await h.newAccount();
    const sg = caseOf('sendgrid_key');
    sendgridId = await importCase(c, sg, sg.seed(fakes.byProvider.sendgrid));
    base = `/v1/proxy/credential/${sendgridId}`;
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([fakes?.close(), up?.close(), evil?.close()]);
  });

  it('answers with the provider status and headers, hop-by-hop and Set-Cookie removed; the key, never the caller token, goes up', async () => {
    const res = await c.req(
      'POST',
      `${base}/v3/mail/send?dry=1`,
      { hello: 'world' },
      { 'idempotency-key': 'idem-1', 'x-custom': 'kept' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    const body = res.json<{ bytes: number; headers: Record<string, string> }>();
    expect(body.bytes).toBe(17);
    expect(body.headers['idempotency-key']).toBe('idem-1');
    expect(body.headers['x-custom']).toBe('kept');
    expect(up.seen.at(-1)?.headers.authorization).toMatch(/^Bearer SG\./);
    expect(JSON.stringify(up.seen.at(-1)?.headers)).not.toContain(c.token);
    // Idempotency-Key is the provider's: credvault does not claim it (a second call goes through).
    expect(
      (await c.req('POST', `${base}/v3/mail/send`, { hello: 'again' }, { 'idempotency-key': 'idem-1' })).json<{
        bytes: number;
      }>().bytes,
    ).toBe(17);
  });

  it('scope credentials:use is required (not read, write or reveal); another account gets 404 not_found', async () => {
    for (const scopes of [['credentials:read'], ['credentials:write'], ['secrets:reveal']]) {
      const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: `s-${scopes[0]}`, scopes });
      const res = await h.rt.app.inject({
        method: 'GET',
        url: `${base}/v3/x`,
        headers: { authorization: `Bearer ${t.body.token}` },
      });
      expect(res.statusCode, scopes[0]).toBe(403);
    }
    const user = await c.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'user',
      scopes: ['credentials:use'],
    });
    const ok = await h.rt.app.inject({
      method: 'GET',
      url: `${base}/v3/x`,
      headers: { authorization: `Bearer ${user.body.token}` },
    });
    expect(ok.statusCode).toBe(200);
    expect((await h.rt.app.inject({ method: 'GET', url: `${base}/v3/x` })).statusCode).toBe(401);
    const other = await h.newAccount();
    const res = await other.req('GET', `${base}/v3/x`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-credvault-proxy-error']).toBe('not_found');
    expect(
      (await c.req('GET', '/v1/proxy/credential/00000000-0000-4000-8000-000000000000/v3/x')).headers[
        'x-credvault-proxy-error'
      ],
    ).toBe('not_found');
  });

  it('expired access token: 50 concurrent proxied GETs cause one refresh and all succeed', async () => {
    const fake = fakes.byProvider.airtable;
    const pc = caseOf('airtable_oauth2');
    const id = await importCase(c, pc, pc.seed(fake), { expires_at: '2020-01-01T00:00:00Z' });
    const before = fake.calls.count('token');
    const all = await Promise.all(
      Array.from({ length: 50 }, () => c.req('GET', `/v1/proxy/credential/${id}/v0/meta/whoami`)),
    );
    expect(all.map((r) => r.statusCode)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(fake.calls.count('token') - before).toBe(1);
  });

  it('a token refused with 401: one refresh, then the buffered call is replayed; a large streamed POST is not replayed and says so', async () => {
    const fake = fakes.byProvider.quickbooks;
    const pc = caseOf('quickbooks_oauth2');
    const setup = pc.seed(fake);
    const id = await importCase(c, pc, setup, { expires_at: '2099-01-01T00:00:00Z' });
    fake.state.revoke(String(setup.props.access_token));
    const replayed = await c.req('GET', `/v1/proxy/credential/${id}/v3/company/9130350000000001/companyinfo/1`);
    expect(replayed.statusCode).toBe(200);
    expect(replayed.headers['x-credvault-proxy-retry']).toMatch(/replayed/);
    fake.state.force('unauthorized');
    const calls = fake.calls.count('unknown');
    const refreshes = fake.calls.count('token');
    const big = 'x'.repeat(2 * 1024 * 1024);
    const res = await c.req('POST', `/v1/proxy/credential/${id}/v3/company/9130350000000001/batch`, big, {
      'content-type': 'text/plain',
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-credvault-proxy-error']).toBeUndefined();
    expect(String(res.headers['x-credvault-proxy-retry'])).toMatch(/not_replayed; the request body was streamed/);
    expect(fake.calls.count('unknown') - calls).toBe(1);
    // The token was still renewed, so the caller's own retry works.
    expect(fake.calls.count('token') - refreshes).toBe(1);
  });

  it('a revoked key: the proxied 401 turns the credential health error within the same request', async () => {
    const fake = fakes.byProvider.stripe;
    const pc = caseOf('stripe_key');
    const setup = pc.seed(fake);
    const id = await importCase(c, pc, setup);
    pc.revoke(fake, setup);
    const res = await c.req('GET', `/v1/proxy/credential/${id}/v1/account`);
    expect(res.statusCode).toBe(401);
    const cred = await c.json<{ health: { status: string; reason: string } }>('GET', `/v1/credentials/${id}`);
    expect(cred.body.health.status).toBe('error');
    expect(cred.body.health.reason).toBe('unauthorized');
    // Within the minute the refused key is not sent again: like /access-token, a credential in
    // error answers 409 credential_unusable with its note, and no new check or report is made.
    const calls = fake.calls.count('account');
    const again = await c.req('GET', `/v1/proxy/credential/${id}/v1/account`);
    expect(again.statusCode).toBe(409);
    expect(again.headers['x-credvault-proxy-error']).toBe('credential_unusable');
    expect(fake.calls.count('account')).toBe(calls);
    const audit = await c.json<{ data: Array<{ action: string; credential_id: string }> }>(
      'GET',
      '/v1/audit-events?limit=500',
    );
    expect(
      audit.body.data.filter((e) => e.action === 'credential.health_reported' && e.credential_id === id),
    ).toHaveLength(1);
  });

  it('a refused refresh: 409 credential_unusable with the health note, and within the minute without asking the provider again', async () => {
    const fake = fakes.byProvider.workday;
    const pc = caseOf('workday_oauth2');
    const setup = pc.seed(fake);
    const id = await importCase(c, pc, setup);
    pc.revoke(fake, setup);
    const first = await c.req('GET', `/v1/proxy/credential/${id}/ccx/api/common/v1/acme/workers`);
    expect(first.statusCode).toBe(409);
    expect(first.headers['x-credvault-proxy-error']).toBe('credential_unusable');
    expect(first.json<{ summary: string }>().summary).toMatch(/Workday/);
    const tokenCalls = fake.calls.count('token');
    const again = await c.req('GET', `/v1/proxy/credential/${id}/ccx/api/common/v1/acme/workers`);
    expect(again.statusCode).toBe(409);
    expect(fake.calls.count('token')).toBe(tokenCalls);
  });

  it('a provider 429 passes through with its Retry-After; a provider that does not answer is 504 timeout', async () => {
    const limited = await c.req('GET', `${base}/ratelimited`);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('7');
    expect(limited.headers['x-credvault-proxy-error']).toBeUndefined();
    const hung = await c.req('GET', `${base}/hang`);
    expect(hung.statusCode).toBe(504);
    expect(hung.headers['x-credvault-proxy-error']).toBe('timeout');
  });

  it('a 2xx answer records last_ok_at', async () => {
    await c.req('GET', `${base}/v3/ok`);
    const cred = await c.json<{ health: { last_ok_at: string | null } }>('GET', `/v1/credentials/${sendgridId}`);
    expect(cred.body.health.last_ok_at).not.toBeNull();
  });

  it('a declared body over CREDVAULT_PROXY_MAX_BODY_BYTES is 413 too_large', async () => {
    const res = await h.rt.app.inject({
      method: 'POST',
      url: `${base}/v3/x`,
      headers: {
        authorization: `Bearer ${c.token}`,
        'content-type': 'application/octet-stream',
        'content-length': String(11 * 1024 * 1024),
      },
      payload: Buffer.alloc(11 * 1024 * 1024),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['x-credvault-proxy-error']).toBe('too_large');
  });

  describe('streaming over a real socket', () => {
    let port = 0;
    beforeAll(async () => {
      await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
      port = (h.rt.app.server.address() as AddressInfo).port;
    });
    const call = (
      method: string,
      path: string,
      body?: (write: (b: Buffer) => boolean, end: () => void, drain: (fn: () => void) => void) => void,
    ) =>
      new Promise<{ status: number; bytes: number; text: string; cut: boolean; proxyError?: string }>((resolve) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method,
            path,
            headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/octet-stream' },
          },
          (res) => {
            let bytes = 0;
            const head: Buffer[] = [];
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              if (bytes < 4096) head.push(chunk);
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                bytes,
                text: Buffer.concat(head).toString(),
                cut: false,
                proxyError: String(res.headers['x-credvault-proxy-error']),
              }),
            );
            res.on('error', () => resolve({ status: res.statusCode ?? 0, bytes, text: '', cut: true }));
            res.on('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, text: '', cut: true }));
          },
        );
        req.on('error', () => resolve({ status: 0, bytes: 0, text: '', cut: true }));
        if (body)
          body(
            (b) => req.write(b),
            () => req.end(),
            (fn) => req.once('drain', fn),
          );
        else req.end();
      });

    it('refuses every path that could leave the base with 400 invalid_path; the other host sees no connection', async () => {
      const e = `127.0.0.1:${evil.port}`;
      const vectors = [
        '../../v1/credentials',
        '..',
        'a/../../b',
        '%2e%2e/x',
        '%2E%2E/%2e%2e/x',
        'a/%2e%2e/%2e%2e/x',
        '.%2e/x',
        '%2e/x',
        'a%2fb',
        '..%2f..%2fx',
        'a%5cb',
        `/${e}/x`,
        `//${e}/x`,
        `@${e}/x`,
        `user@${e}/x`,
        'a\\b',
        '..\\..\\x',
        `\\\\${e}\\x`,
        `http://${e}/x`,
        `http:%2f%2f${e}/x`,
        `https:/${e}`,
        `${e}/x`,
        'a//b',
        'a/%00b',
        '%zz/x',
      ];
      for (const v of vectors) {
        // Over a raw socket: inject() and most clients would normalize the dots before sending.
        const res = await call('GET', `${base}/${v}`);
        expect(res.status, v).toBe(400);
        expect(res.proxyError, v).toBe('invalid_path');
        expect(res.text).toMatch(/Invalid proxy path/);
      }
      expect(evil.connections()).toBe(0);
      // A plain path with an @ deeper down (an e-mail address) is a path, not a host.
      const fine = await c.req('GET', `${base}/v3/contacts/a@example.com?x=1`);
      expect(fine.statusCode).toBe(200);
      expect(up.seen.at(-1)?.url).toBe('/v3/contacts/a@example.com?x=1');
    });

    it('a 100 MiB answer is cut at the cap without being buffered (RSS stays flat)', async () => {
      const rssBefore = process.memoryUsage().rss;
      const res = await call('GET', `${base}/big`);
      expect(res.status).toBe(200);
      expect(res.cut).toBe(true);
      expect(res.bytes).toBeGreaterThan(4 * 1024 * 1024);
      expect(res.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
      // The upstream stopped well before the end: nothing read the rest.
      expect(up.bigWritten).toBeLessThan(60 * 1024 * 1024);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
      expect(h.logs.some((l) => l.includes('answer_too_large'))).toBe(true);
    });

    it('a 5 MiB upload streams through, byte for byte', async () => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const total = 80; // 80 x 64 KiB = 5 MiB, sent chunked
      const { createHash } = await import('node:crypto');
      const hash = createHash('sha256');
      for (let i = 0; i < total; i++) hash.update(chunk);
      const res = await call('POST', `${base}/v3/upload`, (write, end, drain) => {
        let i = 0;
        const pump = (): void => {
          while (i < total) {
            i++;
            if (!write(chunk)) return drain(pump);
          }
          end();
        };
        pump();
      });
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text) as { bytes: number; sha256: string };
      expect(body.bytes).toBe(5 * 1024 * 1024);
      expect(body.sha256).toBe(hash.digest('hex'));
    });
  });

  it('fuzzed paths and methods never get a 5xx or a secret back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
        fc.string({ maxLength: 40 }),
        async (method, path) => {
          const res = await c.req(method, `${base}/${encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23')}`);
          expect(res.statusCode).toBeLessThan(500);
          expect(res.body).not.toContain(MARKER);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('logs one line per call without query strings or header values; use counts are aggregated per hour', async () => {
    await c.req('GET', `${base}/v3/logged?secret_query=${MARKER}`);
    await h.rt.usage.flush();
    const text = h.logs.join('\n');
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain('secret_query');
    expect(text).not.toContain(c.token);
    expect(h.logs.some((l) => l.includes('"path":"/v3/logged"') && l.includes('"status":200'))).toBe(true);
    const audit = await c.json<{ data: Array<{ action: string; credential_id: string; detail: { calls: number } }> }>(
      'GET',
      '/v1/audit-events?limit=500',
    );
    const used = audit.body.data.filter((e) => e.action === 'credential.proxy_used' && e.credential_id === sendgridId);
    // One event per token and hour, however many calls.
    expect(used.length).toBeLessThanOrEqual(2 * 2);
    expect(used.reduce((n, e) => n + e.detail.calls, 0)).toBeGreaterThan(10);
  });
});
