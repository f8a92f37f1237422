/**
 * The house security matrices (scope, cross-account, secret marker, fuzzer) run through
 * `app.inject()`, i.e. through Fastify's door. Real clients reach proxied calls through the edge
 * (src/http/edge.ts), which answers before Fastify; this file runs the same matrices over a REAL
 * socket against the listening server, on every documented route the edge takes (read from the
 * OpenAPI document, filtered with `edgeCredentialId`), plus the attacks found by reading the edge.
 *
 * Nothing here reaches the internet: the only provider is a fake upstream on 127.0.0.1, and every
 * outbound request the process makes (node:http/https, fetch, and undici's, which the proxy and
 * the check GETs use: src/net/pinned-pools.ts) is recorded and must go to it.
 */
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { type AddressInfo, connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/accounts/tokens.js';
import { edgeCredentialId } from '../../src/http/routes/proxy.js';
import { importBody } from '../support/api.js';
import { type Client, type Harness, TEST_DNS, startHarness } from '../support/harness.js';
import { documentedRoutes } from '../support/routes.js';
import { STORE_KINDS } from '../support/stores.js';

/** A secret marker (as in test/fakes/state.ts and leak.test.ts): never in an answer or a log line. */
const MARKER = 'MARKER_SECRET_edge_7d1e';
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** The base path of the fake provider: every upstream request must stay under it. */
const BASE = '/sg';
const AUTH_FAILURE_LIMIT = 5;

// The test's own client keeps the real request function; everything else the process sends is recorded.
const realRequest = http.request.bind(http);
const outbound: string[] = [];
const onUndiciRequest = (message: unknown): void => {
  const { request } = message as { request: { origin: string | URL } };
  outbound.push(new URL(request.origin).host);
};
function recordOutbound(mod: typeof http | typeof https, scheme: string): () => void {
  const original = mod.request;
  const patched = (...args: unknown[]) => {
    const [first] = args;
    if (typeof first === 'string' || first instanceof URL) outbound.push(new URL(first).host);
    else {
      const o = first as { host?: string; hostname?: string; port?: number | string };
      outbound.push(`${o.hostname ?? o.host ?? '?'}:${String(o.port ?? (scheme === 'https' ? 443 : 80))}`);
    }
    return (original as (...a: unknown[]) => http.ClientRequest)(...args);
  };
  (mod as { request: unknown }).request = patched;
  return () => {
    (mod as { request: unknown }).request = original;
  };
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** The fake provider: 401/403/500 on demand, a path that never answers, otherwise an echo without Authorization. */
async function startProvider() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const path = (req.url ?? '').split('?')[0] ?? '';
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (path === `${BASE}/v3/hang`) return;
      const fixed: Record<string, number> = { [`${BASE}/v3/unauth`]: 401, [`${BASE}/v3/forbidden`]: 403 };
      const status = fixed[path] ?? (path === `${BASE}/v3/boom` ? 500 : 200);
      const { authorization: _drop, ...headers } = req.headers;
      res.writeHead(status, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="fake"' });
      res.end(JSON.stringify({ status, bytes: Buffer.concat(chunks).length, headers }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    url: `http://${host}${BASE}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Status line, headers and body as text: what the marker and token searches read. */
  text: string;
}

/** A request parsed from the raw bytes of one connection (heads, bodies by length or chunks). */
interface RawAnswer {
  status: number;
  head: string;
}

function parseAnswers(buf: Buffer, headRequest: boolean): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = buf.subarray(at, end).toString('latin1');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) break;
    const status = Number(m[1]);
    out.push({ status, head });
    at = end + 4;
    if (status < 200 || headRequest || status === 204 || status === 304) continue;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) {
      at += Number(length[1]);
      continue;
    }
    if (!/\r\ntransfer-encoding: *chunked/i.test(head)) break; // body until close: the last answer
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return out;
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      at = eol + 2 + size + 2;
      if (size === 0 || Number.isNaN(size)) break;
    }
  }
  return out;
}

describe.each(STORE_KINDS)('the edge over a real socket on %s', (store) => {
  let h: Harness;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let unpatch: Array<() => void> = [];
  let realFetch: typeof fetch;
  let port = 0;
  let a: Client;
  let b: Client;
  /** Account A's credential (matrices, fuzzer) and the admin account's (scope matrix). */
  let credA: string;
  let credAdmin: string;
  let shutDown = false;

  const token = async (owner: Client, scopes: string[]): Promise<string> => {
    const res = await owner.json<{ token: string }>('POST', '/v1/api-tokens', { name: `edge-${randomUUID()}`, scopes });
    if (res.status !== 200 && res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  };
  const sendgrid = async (owner: Client, key: string): Promise<string> => {
    const res = await owner.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: key },
    });
    if (res.status !== 200) throw new Error(`import: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id;
  };

  beforeAll(async () => {
    outbound.length = 0;
    provider = await startProvider();
    unpatch = [recordOutbound(http, 'http'), recordOutbound(https, 'https')];
    // undici's requests (the proxy's and the checks' pools) do not go through http.request.
    diagnostics.subscribe('undici:request:create', onUndiciRequest);
    realFetch = globalThis.fetch;
    globalThis.fetch = (input: string | URL | Request, init?: RequestInit) => {
      outbound.push(new URL(input instanceof Request ? input.url : input).host);
      return realFetch(input, init);
    };
    h = await startHarness(store, {
      CREDVAULT_PROVIDER_URL_SENDGRID: provider.url,
      LOG_LEVEL: 'trace',
      CREDVAULT_RATE_LIMIT: '40',
      CREDVAULT_AUTH_FAILURE_LIMIT: String(AUTH_FAILURE_LIMIT),
      CREDVAULT_PROXY_TIMEOUT_MS: '1000',
      CREDVAULT_PROXY_MAX_BODY_BYTES: '4096',
      CREDVAULT_PROXY_CONCURRENCY: '1',
      CREDVAULT_PROXY_CACHE_MS: '60000',
    });
    a = await h.newAccount();
    b = await h.newAccount();
    credA = await sendgrid(a, `SG.${MARKER}_a`);
    credAdmin = await sendgrid(h.admin, `SG.${MARKER}_admin`);
    await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.rt.app.server.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    for (const u of unpatch) u();
    diagnostics.unsubscribe('undici:request:create', onUndiciRequest);
    if (realFetch) globalThis.fetch = realFetch;
    // After the shutdown test the runtime is closed; the store is still the test's to close.
    if (shutDown) await h?.testStore.close();
    else await h?.close();
    await provider?.close();
  });

  /** One request over a real socket (node:http), from a chosen loopback address. */
  const send = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
    from = '127.0.0.1',
  ): Promise<Answer> =>
    new Promise((resolve, reject) => {
      // A body always says its length (Node sends a DELETE's body without one).
      const withLength =
        body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const req = realRequest(
        { host: '127.0.0.1', port, method, path, headers: withLength, localAddress: from, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const head = res.rawHeaders.map((v, i) => (i % 2 === 0 ? `${v}: ` : `${v}\n`)).join('');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, text: `${head}\n${text}` });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  /** Raw bytes over a net.Socket; resolves with what came back when the server closes or after waitMs. */
  const rawSend = (bytes: Buffer, from: string, waitMs = 1500): Promise<Buffer> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const s = connect({ host: '127.0.0.1', port, localAddress: from });
      const done = () => {
        clearTimeout(timer);
        s.destroy();
        resolve(Buffer.concat(chunks));
      };
      const timer = setTimeout(done, waitMs);
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('error', () => undefined);
      s.on('close', done);
      s.write(bytes);
    });

  /** The documented routes the edge answers, from the OpenAPI document, with a credential id filled in. */
  const edgeRoutes = (id: string) =>
    documentedRoutes(h.rt)
      .map((r) => ({ method: r.method, url: r.path.replace('{id}', id).replace('{path}', 'v3/templates') }))
      .filter((r) => edgeCredentialId(r.method, r.url) !== undefined);

  it('takes its routes from the OpenAPI document: the five proxy methods', () => {
    expect(
      edgeRoutes(credA)
        .map((r) => r.method)
        .sort(),
    ).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
    // The listening server answers through the edge (test/proxy/edge.test.ts names it).
    const listeners = h.rt.app.server.listeners('request') as Array<{ name?: string }>;
    expect(listeners.map((l) => l.name)).toEqual(['credvaultEdge']);
  });

  it('scope matrix: only credentials:use and admin are admitted; every other scope gets 403 and no upstream call', async () => {
    const tokens: Array<[string, string]> = [['bootstrap admin', h.admin.token]];
    for (const s of SCOPES) tokens.push([s, await token(h.admin, [s])]);
    let probes = 0;
    for (const route of edgeRoutes(credAdmin)) {
      for (const [scope, t] of tokens) {
        const before = provider.seen.length;
        const res = await send(route.method, `${route.url}?probe=${++probes}`, bearer(t));
        const admitted = scope === 'credentials:use' || scope === 'admin' || scope === 'bootstrap admin';
        const label = `${route.method} ${scope}`;
        if (admitted) {
          expect(res.status, label).toBe(200);
          expect(
            provider.seen.slice(before).map((s) => `${s.method} ${s.url}`),
            label,
          ).toEqual([`${route.method} ${BASE}/v3/templates?probe=${probes}`]);
        } else {
          expect(res.status, label).toBe(403);
          expect(res.headers['cache-control'], label).toBe('no-store');
          expect(res.headers['x-request-id'], label).toMatch(/^[0-9a-f-]{36}$/);
          expect(provider.seen.length, label).toBe(before);
        }
      }
    }
    expect(probes).toBe(5 * (SCOPES.length + 1));
  });

  it("cross-account: B's token on A's credential is 404 not_found with no upstream call, the same answer as a random id", async () => {
    const useB = await token(b, ['credentials:use']);
    for (const route of edgeRoutes(credA)) {
      const before = provider.seen.length;
      const theirs = await send(route.method, route.url, bearer(useB), route.method === 'GET' ? undefined : '{}');
      const random = await send(
        route.method,
        route.url.replace(credA, randomUUID()),
        bearer(useB),
        route.method === 'GET' ? undefined : '{}',
      );
      for (const res of [theirs, random]) {
        expect(res.status, route.method).toBe(404);
        expect(res.headers['x-credvault-proxy-error'], route.method).toBe('not_found');
      }
      // No existence oracle: the same status, headers of substance and body.
      const shape = (r: Answer) => ({
        status: r.status,
        error: r.headers['x-credvault-proxy-error'],
        type: r.headers['content-type'],
        cache: r.headers['cache-control'],
        length: r.headers['content-length'],
        body: r.body,
      });
      expect(shape(theirs)).toEqual(shape(random));
      expect(theirs.body).not.toContain(credA);
      expect(provider.seen.length, route.method).toBe(before);
    }
    // Sanity: A's own token reaches the provider on the same credential.
    expect((await send('GET', `/v1/proxy/credential/${credA}/v3/templates`, bearer(a.token))).status).toBe(200);
  });

  it('secret marker: no answer body, answer header or log line carries a secret or the caller token', async () => {
    const c = await h.newAccount();
    const use = await token(c, ['credentials:use']);
    const readOnly = await token(c, ['credentials:read']);
    const cred = await sendgrid(c, `SG.${MARKER}_good`);
    // A refusal by the provider reports against the credential: its own credential.
    const refused = await sendgrid(c, `SG.${MARKER}_refused`);
    const forbidden = await sendgrid(c, `SG.${MARKER}_forbidden`);
    const p = (id: string, rest: string) => `/v1/proxy/credential/${id}/${rest}`;
    const from = '127.0.0.3';
    const answers: Answer[] = [];
    const call = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
      const res = await send(method, path, headers, body, from);
      answers.push(res);
      return res;
    };
    const statuses = [
      (await call('GET', p(cred, `v3/templates?q=${MARKER.length}`), bearer(use))).status,
      (await call('POST', p(cred, 'v3/mail/send'), { ...bearer(use), 'content-type': 'application/json' }, '{"a":1}'))
        .status,
      (await call('GET', p(cred, 'v3/templates'), {})).status,
      (await call('GET', p(cred, 'v3/templates'), bearer(`${use}x`))).status,
      (await call('GET', p(cred, 'v3/templates'), { authorization: `Basic ${use}` })).status,
      (await call('GET', p(cred, 'v3/templates'), bearer(readOnly))).status,
      (await call('GET', p(cred, 'v3/templates'), bearer(b.token))).status,
      (await call('GET', p(randomUUID(), 'v3/templates'), bearer(use))).status,
      (await call('GET', p(cred, 'v3/%2e%2e/admin'), bearer(use))).status,
      (await call('GET', p(cred, 'v3\\..\\admin'), bearer(use))).status,
      (await call('GET', p(cred, 'v3//x'), bearer(use))).status,
      (await call('POST', p(cred, 'v3/mail/send'), bearer(use), 'x'.repeat(5000))).status,
      (await call('GET', p(refused, 'v3/unauth'), bearer(use))).status,
      (await call('GET', p(forbidden, 'v3/forbidden'), bearer(use))).status,
      (await call('GET', p(cred, 'v3/boom'), bearer(use))).status,
      (await call('GET', p(cred, 'v3/hang'), bearer(use))).status,
    ];
    expect(statuses).toEqual([200, 200, 401, 401, 401, 403, 404, 404, 400, 400, 400, 413, 401, 403, 500, 504]);
    // The 504 is credvault's own answer; the 500 is the provider's, passed on.
    expect(answers[15]?.headers['x-credvault-proxy-error']).toBe('timeout');
    expect(answers[14]?.headers['x-credvault-proxy-error']).toBeUndefined();
    // The searches can see: the provider did receive the marked secret, the logs hold the edge's lines.
    expect(provider.seen.some((s) => String(s.headers.authorization).includes(MARKER))).toBe(true);
    const logs = h.logs.join('');
    expect(logs).toContain('proxied call');
    expect(logs).toContain(cred);
    for (const res of answers) {
      expect(res.text).not.toContain(MARKER);
      for (const t of [use, readOnly, b.token]) expect(res.text).not.toContain(t);
    }
    for (const line of h.logs) {
      expect(line).not.toContain(MARKER);
      for (const t of [use, readOnly, b.token, a.token]) expect(line).not.toContain(t);
    }
    // Nor did the caller's token travel to the provider.
    for (const s of provider.seen) expect(JSON.stringify(s.headers)).not.toContain(use);
  });

  it('the per-address failed-authentication limit applies at the edge', async () => {
    const from = '127.0.0.5';
    const path = `/v1/proxy/credential/${credA}/v3/templates`;
    const before = provider.seen.length;
    for (let i = 0; i < AUTH_FAILURE_LIMIT; i++)
      expect((await send('GET', path, bearer(`cv_live_nope${i}`), undefined, from)).status).toBe(401);
    const blocked = await send('GET', path, bearer('cv_live_nope_again'), undefined, from);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Fastify's door is blocked for that address too (one limiter), another address is not.
    expect((await send('GET', '/v1/credentials', bearer('cv_live_nope_fastify'), undefined, from)).status).toBe(429);
    expect((await send('GET', path, bearer('cv_live_nope_other'), undefined, '127.0.0.6')).status).toBe(401);
    expect(provider.seen.length).toBe(before);
  });

  it('the per-token rate limit applies at the edge: 429 with Retry-After, nothing sent upstream', async () => {
    const t = await token(a, ['credentials:use']);
    // Admitted calls answer 400 (an escape attempt) before any provider call; refused ones 429.
    const path = `/v1/proxy/credential/${credA}/v3/%2e%2e/x`;
    const before = provider.seen.length;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const answers = await Promise.all(
      Array.from(
        { length: 120 },
        () =>
          new Promise<{ status: number; retry: string | undefined }>((resolve, reject) => {
            const req = realRequest({ host: '127.0.0.1', port, path, headers: bearer(t), agent }, (res) => {
              res.resume();
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, retry: res.headers['retry-after'] as string | undefined }),
              );
            });
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    agent.destroy();
    const limited = answers.filter((x) => x.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const x of limited) expect(Number(x.retry)).toBeGreaterThan(0);
    expect(answers.every((x) => x.status === 429 || x.status === 400)).toBe(true);
    expect(provider.seen.length).toBe(before);
  });

  it('fuzzer: raw requests never give a 5xx of our own, never crash, never leave the upstream, never leak', async () => {
    const fuzzToken = await token(a, ['credentials:use']);
    const liveToken = await token(a, ['credentials:use']);
    const from = '127.0.0.4';
    const idForms = [credA, credA.toUpperCase(), `%${credA.charCodeAt(0).toString(16)}${credA.slice(1)}`, randomUUID()];
    const segment = fc.oneof(
      fc.constantFrom(
        'v3',
        'templates',
        '.',
        '..',
        '%2e',
        '%2E%2e',
        '%2f',
        '%2F',
        '%5c',
        '\\',
        '',
        '%00',
        '%0a',
        '%zz',
        '%',
        '@evil.example',
        'http:',
        'evil.example:80',
        ';a=b',
        '%20',
        '%ff',
        '~user',
        '\u00e9',
        '\u0001',
        '\t',
        ' ',
        '..%2f..',
        'a'.repeat(9000),
      ),
      fc.string({ maxLength: 12 }),
    );
    const rawPath = fc.oneof(
      fc.constantFrom('v3/templates', 'v3/mail/send', ''),
      fc.array(segment, { maxLength: 5 }).map((s) => s.join('/')),
    );
    const query = fc.option(
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('a=1&b=2', 'x=%00', 'x=#frag', 'x=%zz', '&&&', 'u=http://evil.example/', 'q=\u0000'),
      ),
    );
    const method = fc.constantFrom(
      'GET',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'HEAD',
      'OPTIONS',
      'TRACE',
      'PROPFIND',
      'get',
    );
    const authHeader = fc.constantFrom(
      `Authorization: Bearer ${fuzzToken}`,
      `Authorization: Bearer ${fuzzToken}`,
      `Authorization: Bearer ${fuzzToken}`,
      `Authorization: Bearer ${fuzzToken}`,
      `authorization: bearer ${fuzzToken}`,
      `Authorization: Bearer  ${fuzzToken}`,
      `Authorization: Bearer ${fuzzToken}x`,
      `Authorization: Bearer ${fuzzToken}\r\nAuthorization: Bearer cv_live_other`,
      'Authorization: Bearer',
      'Authorization: Basic dXNlcjpwYXNz',
      'Authorization:',
      '',
    );
    const bodyShape = fc.constantFrom(
      'none',
      'none',
      'length',
      'length',
      'length-lie-short',
      'length-lie-long',
      'length-twice',
      'length-bad',
      'chunked',
      'chunked-bad',
      'chunked-and-length',
      'te-gzip',
    );
    const extra = fc.subarray([
      'Expect: 100-continue',
      'Content-Type: application/json',
      'X-Forwarded-For: 10.0.0.1',
      'X-Forwarded-Host: evil.example',
      'Host: evil.example',
      'X-Credvault-Proxy-Error: fake',
      'Connection: keep-alive, Authorization',
      'Proxy-Authorization: Basic eA==',
      'Upgrade: websocket',
    ]);
    const body = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x'));

    const liveness = async () => {
      const ok = await send('GET', `/v1/proxy/credential/${credA}/v3/alive`, bearer(liveToken));
      expect(ok.status).toBe(200);
    };
    let runs = 0;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        method,
        fc.constantFrom(...idForms),
        rawPath,
        query,
        authHeader,
        bodyShape,
        extra,
        body,
        async (m, id, path, q, auth, shape, more, text) => {
          const target = `/v1/proxy/credential/${id}/${path}${q === null ? '' : `?${q}`}`;
          const lines = [`${m} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
          if (auth !== '') lines.push(auth);
          lines.push(...more, 'Connection: close');
          let payload = '';
          const len = Buffer.byteLength(text);
          const chunked = `${len.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
          switch (shape) {
            case 'length':
              lines.push(`Content-Length: ${len}`);
              payload = text;
              break;
            case 'length-lie-short':
              lines.push(`Content-Length: ${Math.max(0, len - 3)}`);
              payload = text;
              break;
            case 'length-lie-long':
              lines.push(`Content-Length: ${len + 5}`);
              payload = text;
              break;
            case 'length-twice':
              lines.push(`Content-Length: ${len}`, `Content-Length: ${len + 1}`);
              payload = text;
              break;
            case 'length-bad':
              lines.push('Content-Length: -1');
              break;
            case 'chunked':
              lines.push('Transfer-Encoding: chunked');
              payload = chunked;
              break;
            case 'chunked-bad':
              lines.push('Transfer-Encoding: chunked');
              payload = `zz\r\n${text}\r\n`;
              break;
            case 'chunked-and-length':
              lines.push('Transfer-Encoding: chunked', `Content-Length: ${len}`);
              payload = chunked;
              break;
            case 'te-gzip':
              lines.push('Transfer-Encoding: gzip, chunked');
              payload = chunked;
              break;
            default:
              break;
          }
          const before = provider.seen.length;
          const got = await rawSend(Buffer.from(`${lines.join('\r\n')}\r\n\r\n${payload}`, 'latin1'), from, 800);
          const label = `${m} ${target.slice(0, 200)} ${shape} ${auth.slice(0, 30)} ${more.join('|')}`;
          for (const r of parseAnswers(got, m === 'HEAD')) {
            statuses.add(r.status);
            if (r.status >= 500) {
              expect([502, 504], label).toContain(r.status);
              expect(r.head.toLowerCase(), label).toContain('x-credvault-proxy-error:');
            }
          }
          const text2 = got.toString('latin1');
          expect(text2, label).not.toContain(MARKER);
          expect(text2, label).not.toContain(fuzzToken);
          // Whatever reached the provider stayed under its base path and carried no caller token.
          for (const s of provider.seen.slice(before)) {
            expect(s.url.startsWith(`${BASE}/`), label).toBe(true);
            expect(s.url.split('?')[0]?.split('/'), label).not.toContain('..');
            expect(JSON.stringify(s.headers), label).not.toContain(fuzzToken);
          }
          if (++runs % 8 === 0) await liveness();
        },
      ),
      {
        numRuns: RUNS,
        // A plain, valid call first: the property is checked on a provider's answer too.
        examples: [['GET', credA, 'v3/templates', 'a=1', `Authorization: Bearer ${fuzzToken}`, 'none', [], '']],
      },
    );
    await liveness();
    // The fuzzer did reach the provider and credvault's own refusals.
    expect([...statuses]).toEqual(expect.arrayContaining([200, 400, 401, 404]));
    for (const line of h.logs) {
      expect(line).not.toContain(MARKER);
      expect(line).not.toContain(fuzzToken);
    }
  }, 60_000);

  it('an uppercase id is the same credential: a delete stops its calls at once, whatever case either side used', async () => {
    const use = await token(a, ['credentials:use']);
    const p = (id: string) => `/v1/proxy/credential/${id}/v3/templates`;
    // Called with an UPPERCASE id, deleted with the lowercase one.
    const x = await sendgrid(a, `SG.${MARKER}_upper1`);
    expect((await send('GET', p(x.toUpperCase()), bearer(use))).status).toBe(200);
    expect((await a.req('DELETE', `/v1/credentials/${x}`)).statusCode).toBe(200);
    let before = provider.seen.length;
    const afterDelete = await send('GET', p(x.toUpperCase()), bearer(use));
    expect(afterDelete.status).toBe(404);
    expect(afterDelete.headers['x-credvault-proxy-error']).toBe('not_found');
    expect(provider.seen.length).toBe(before);
    // Called with the lowercase id, deleted with an UPPERCASE one.
    const y = await sendgrid(a, `SG.${MARKER}_upper2`);
    expect((await send('GET', p(y), bearer(use))).status).toBe(200);
    expect((await a.req('DELETE', `/v1/credentials/${y.toUpperCase()}`)).statusCode).toBe(200);
    before = provider.seen.length;
    expect((await send('GET', p(y), bearer(use))).status).toBe(404);
    expect(provider.seen.length).toBe(before);
  });

  it("an uppercase id shares the credential's concurrency lane (CREDVAULT_PROXY_CONCURRENCY is 1 here)", async () => {
    const use = await token(a, ['credentials:use']);
    const z = await sendgrid(a, `SG.${MARKER}_lane`);
    const order: string[] = [];
    const seenBefore = provider.seen.length;
    const first = send('GET', `/v1/proxy/credential/${z}/v3/hang`, bearer(use)).then((r) => {
      order.push(`first ${r.status}`);
    });
    // The first call holds the lane's one slot once the provider has it.
    while (provider.seen.length === seenBefore) await new Promise((r) => setImmediate(r));
    const second = send('GET', `/v1/proxy/credential/${z.toUpperCase()}/v3/templates`, bearer(use)).then((r) => {
      order.push(`second ${r.status}`);
    });
    await Promise.all([first, second]);
    // The second call waited for the first one's slot: it cannot have been answered first.
    expect(order).toEqual(['first 504', 'second 200']);
  });

  it('a streamed body over the cap, to a provider that cannot be reached, never crashes the process', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      // A tenant-host kind whose host no longer resolves: the call fails before any byte is sent.
      TEST_DNS.set('acme.myshopify.com', ['93.184.216.34']);
      const shop = await a.json<{ id: string }>('POST', '/v1/credentials', await importBody(a, 'shopify_oauth2'));
      TEST_DNS.delete('acme.myshopify.com');
      expect(shop.status).toBe(200);
      const use = await token(a, ['credentials:use']);
      const piece = 'x'.repeat(2000);
      const chunk = `${piece.length.toString(16)}\r\n${piece}\r\n`;
      const head =
        `POST /v1/proxy/credential/${shop.body.id}/admin/api/orders.json HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: Bearer ${use}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      // More than CREDVAULT_PROXY_MAX_BODY_BYTES (4096), streamed (chunked), never read by anyone.
      const got = await rawSend(Buffer.from(`${head}${chunk}${chunk}${chunk}${chunk}`), '127.0.0.1', 800);
      const answers = parseAnswers(got, false);
      expect(answers.map((r) => r.status)).toEqual([502]);
      expect(answers[0]?.head.toLowerCase()).toContain('x-credvault-proxy-error: upstream_unreachable');
      // The node still answers, and nothing escaped to the top of the process.
      expect((await send('GET', `/v1/proxy/credential/${credA}/v3/templates`, bearer(use))).status).toBe(200);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('sends nothing to any host but the fake provider', () => {
    expect(outbound.length).toBeGreaterThan(0);
    expect([...new Set(outbound)]).toEqual([provider.host]);
  });

  // Last: the node shuts down.
  it('a proxied call arriving while the node shuts down gets 503 at the edge, and nothing goes upstream', async () => {
    const use = await token(a, ['credentials:use']);
    const req = (path: string) =>
      `GET /v1/proxy/credential/${credA}/${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${use}\r\n\r\n`;
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    const closed = new Promise((r) => s.on('close', r));
    const before = provider.seen.length;
    s.write(req('v3/hang'));
    while (provider.seen.length === before) await new Promise((r) => setImmediate(r));
    shutDown = true;
    const stopping = h.rt.shutdown(200);
    // Pipelined behind the running call, on the same connection: it arrives after the gate closed.
    s.write(req('v3/after-shutdown'));
    await stopping;
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3000))]);
    s.destroy();
    const answers = parseAnswers(Buffer.concat(chunks), false);
    const late = answers.at(-1);
    expect(late?.status).toBe(503);
    expect(late?.head.toLowerCase()).toContain('retry-after: 1');
    expect(late?.head.toLowerCase()).toContain('connection: close');
    expect(provider.seen.slice(before).map((x) => x.url)).toEqual([`${BASE}/v3/hang`]);
  });
});
