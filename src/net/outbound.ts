/**
 * The only HTTP client provider code gets (docs/security.md A5, A6, A7, threat 1 "SSRF").
 *
 * - https only, except for the operator's override origins (CREDVAULT_PROVIDER_URL_<P>), which
 *   alone may use http and loopback/private addresses.
 * - The host is resolved once; if ANY address is non-public the request is refused; the
 *   connection then goes to that checked address (the pinned connector of pinned-pools.ts),
 *   while Host and TLS SNI keep the name. A second DNS answer (rebinding) is never consulted.
 * - One deadline covers DNS, connect, TLS, headers and body.
 * - Redirects are never followed. A 3xx whose Location points to another origin (host, scheme or
 *   port) is `redirect_refused` and its body is not read; a 3xx to the same origin, or without
 *   Location, is returned as an ordinary response so the caller can decide, and any follow-up
 *   goes through this client and its checks again.
 * - Failures are results, never exceptions, and their messages name only the host (never the
 *   path, query, headers or body, which may carry secrets).
 * - With `keepAliveGets`, a GET without a body (a check) goes on a keep-alive socket pooled per
 *   origin AND pinned address (pinned-pools.ts on undici, as the proxy's pool.ts): a socket is
 *   only reused for the address that request's own DNS answer was checked to. Every other request
 *   (token POSTs: a refresh must never be replayed on a stale socket, issue 11 item 5) is sent
 *   with `close` on pools of its own, so its connection carries it alone and is closed after it. Nothing retries: a GET that meets a socket the server closed meanwhile is a
 *   network_error like any other (a transient failure: the check runs again later, the status
 *   stays). Pooled sockets idle at most 4 s, under common servers' keep-alive timeouts, which
 *   keeps that case rare. Measured: docs/performance.md, "Scheduler pipeline".
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isForbiddenAddress, parseHostLiteral } from './address.js';
import { type AnswerBody, type PinnedPoolOptions, type PinnedPools, createPinnedPools } from './pinned-pools.js';
import { isForbiddenHostName } from './hosts.js';
import type { NetFailureReason, OutboundHttp, OutboundRequest, OutboundResult } from './types.js';

export interface OutboundHttpOptions {
  /** Default deadline for the whole exchange; a request's own `timeoutMs` overrides it. */
  timeoutMs: number;
  /** Largest accepted response body; default 1 MiB. */
  maxBodyBytes?: number;
  /** The operator's override base URLs: only their origins may be http or loopback/private. */
  allowedOrigins?: readonly string[];
  /** Injectable resolver (tests); default `dns.promises.lookup` with `all: true`. */
  lookup?: (host: string) => Promise<string[]>;
  /** GETs without a body reuse keep-alive sockets pooled per origin and pinned address (see above). */
  keepAliveGets?: PinnedPoolOptions;
}

/** The provider client, with its pooled sockets to close at shutdown. */
export interface OutboundClient extends OutboundHttp {
  close(): void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export type Failure = Extract<OutboundResult, { ok: false }>;

/** How many checked URLs a client remembers (see `check` in createOutboundHttp). */
const CHECKED_URLS_MAX = 256;

function fail(reason: NetFailureReason, message: string): Failure {
  return { ok: false, reason, message };
}

export async function systemLookup(host: string): Promise<string[]> {
  const answers = await dnsLookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
}

export function originOf(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError('allowedOrigins: every entry must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError('allowedOrigins: every entry must be an absolute http(s) URL');
  }
  return url.origin;
}

export interface Target {
  url: URL;
  /** `url.origin`, computed once (the pools and the check caches are keyed by it). */
  origin: string;
  /** Host name or IP without brackets, as used for DNS, Host and SNI. */
  host: string;
  /** Canonical IP when the URL names an IP literal. */
  literal: string | null;
  /** The origin is one of the operator's overrides. */
  trusted: boolean;
}

export function checkUrl(raw: string, allowed: ReadonlySet<string>): Target | Failure {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('blocked_host', 'the URL is not a valid absolute https URL');
  }
  return checkParsedUrl(url, allowed);
}

/** checkUrl on a URL already parsed. */
export function checkParsedUrl(url: URL, allowed: ReadonlySet<string>): Target | Failure {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('blocked_host', 'only https URLs are allowed');
  if (url.username !== '' || url.password !== '') {
    return fail('blocked_host', `URL for ${url.host} carries credentials; send them in headers instead`);
  }
  const bracketed = url.hostname.startsWith('[') && url.hostname.endsWith(']');
  const host = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  const literal = parseHostLiteral(host);
  const origin = url.origin;
  const trusted = allowed.has(origin);
  if (!trusted) {
    if (url.protocol !== 'https:') return fail('blocked_host', `only https URLs are allowed (${url.host})`);
    if (literal !== null ? isForbiddenAddress(literal) : isForbiddenHostName(host)) {
      return fail('blocked_host', `${url.host} is a loopback, private, link-local or otherwise non-public host`);
    }
  }
  return { url, origin, host, literal, trusted };
}

/** The address to connect to, checked unless the origin is trusted. */
export async function resolveTarget(t: Target, lookup: (host: string) => Promise<string[]>): Promise<string | Failure> {
  if (t.literal !== null) return t.literal;
  let addresses: string[];
  try {
    addresses = await lookup(t.host);
  } catch {
    return fail('network_error', `could not resolve ${t.url.host}`);
  }
  const first = addresses[0];
  if (first === undefined) return fail('network_error', `could not resolve ${t.url.host}`);
  if (!t.trusted && addresses.some((a) => isForbiddenAddress(a))) {
    return fail(
      'blocked_host',
      `${t.url.host} resolves to a loopback, private, link-local or otherwise non-public address`,
    );
  }
  return parseHostLiteral(first) ?? first;
}

function requestHeaders(req: OutboundRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (name.toLowerCase() !== 'accept-encoding') headers[name] = value;
  }
  headers['accept-encoding'] = 'identity';
  const hasLength = Object.keys(headers).some((n) => n.toLowerCase() === 'content-length');
  if (req.body !== undefined && !hasLength) headers['content-length'] = String(Buffer.byteLength(req.body));
  return headers;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** An error code is a fixed identifier (ECONNREFUSED, CERT_HAS_EXPIRED): safe to show. */
export function errorMessage(err: unknown, where: string): string {
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
  const safe = /^[A-Z0-9_]{1,64}$/.test(code) ? ` (${code})` : '';
  if (code === 'ECONNREFUSED') return `connection to ${where} was refused`;
  if (/CERT|TLS|SSL|SIGNATURE|ALTNAME/.test(code)) return `TLS with ${where} failed${safe}`;
  return `request to ${where} failed${safe}`;
}

function sameOrigin(location: string, base: URL): boolean {
  try {
    return new URL(location, base).origin === base.origin;
  } catch {
    return false;
  }
}

export function createOutboundHttp(opts: OutboundHttpOptions): OutboundClient {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const pool = opts.keepAliveGets ? createPinnedPools(opts.keepAliveGets) : undefined;
  // Requests that must not share a connection: each is sent with `close`, so its connection
  // carries that one request and is closed after it (never idle, never reused).
  const once = createPinnedPools({ maxSockets: 256, idleMs: 1000 });
  const lookup = opts.lookup ?? systemLookup;
  const allowed: ReadonlySet<string> = new Set((opts.allowedOrigins ?? []).map(originOf));
  // checkUrl is a pure function of the URL text and `allowed`: its verdict on a URL seen before
  // is reused (bounded; only URLs without query or fragment, which are the same call after call
  // and never carry anything secret). DNS is not cached: every request resolves and checks anew.
  const checked = new Map<string, Target>();
  const check = (raw: string): Target | Failure => {
    const hit = checked.get(raw);
    if (hit !== undefined) return hit;
    const target = checkUrl(raw, allowed);
    if (!('ok' in target) && !raw.includes('?') && !raw.includes('#')) {
      if (checked.size >= CHECKED_URLS_MAX) checked.clear();
      checked.set(raw, target);
    }
    return target;
  };

  function exchange(req: OutboundRequest, t: Target, timeoutMs: number): Promise<OutboundResult> {
    const where = t.url.host;
    // A GET without a body may take a kept connection; anything else (token POSTs) gets a
    // connection of its own, closed after it: a refresh is never sent on a stale socket.
    const kept = pool !== undefined && req.method === 'GET' && req.body === undefined;
    return new Promise<OutboundResult>((settle) => {
      let done = false;
      // An answer still streaming when it is settled otherwise (deadline, cap) is cut with its connection.
      let cut: (() => void) | undefined;
      const finish = (result: OutboundResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!result.ok) cut?.();
        settle(result);
      };
      const timer = setTimeout(
        () => finish(fail('timeout', `${where} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );

      const onAnswer = (status: number, headers: Record<string, string | string[] | undefined>, body: AnswerBody) => {
        cut = () => body.destroy();
        const location = headers.location;
        if (status >= 300 && status < 400 && typeof location === 'string' && !sameOrigin(location, t.url)) {
          return finish(
            fail(
              'redirect_refused',
              `${where} answered ${status} with a redirect to another origin; redirects are not followed`,
            ),
          );
        }
        const tooLarge = (): void =>
          finish(fail('too_large', `the answer from ${where} is larger than ${maxBody} bytes`));
        const declared = Number(headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBody) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        body.pipeTo({
          data(chunk) {
            size += chunk.length;
            if (size > maxBody) {
              tooLarge();
              return false;
            }
            chunks.push(chunk);
            return true;
          },
          end: () =>
            finish({
              ok: true,
              response: { status, headers: responseHeaders(headers), body: Buffer.concat(chunks).toString('utf8') },
            }),
          error: () => finish(fail('network_error', `connection to ${where} closed before the answer was complete`)),
        });
      };

      const send = (pinned: string | Failure): void => {
        if (done) return;
        if (typeof pinned !== 'string') return finish(pinned);
        const body = req.body === undefined ? undefined : Buffer.from(req.body);
        void (kept ? (pool as PinnedPools) : once)
          .request(t, pinned, { method: req.method, headers: requestHeaders(req), body, timeoutMs, close: !kept })
          .then((r) => {
            // Answered after the deadline (finished as a timeout): the late body is not read.
            if (done) return r.ok ? r.response.body.destroy() : undefined;
            return r.ok ? onAnswer(r.response.statusCode, r.response.headers, r.response.body) : finish(r);
          });
      };

      // An IP literal needs no resolution (it was checked with the URL): send right away.
      if (t.literal !== null) send(t.literal);
      else resolveTarget(t, lookup).then(send, () => finish(fail('network_error', `request to ${where} failed`)));
    });
  }

  return {
    async request(req: OutboundRequest): Promise<OutboundResult> {
      try {
        const target = check(req.url);
        if ('ok' in target) return target;
        return await exchange(req, target, req.timeoutMs ?? opts.timeoutMs);
      } catch {
        return fail('network_error', 'the request could not be made');
      }
    },
    close: () => {
      pool?.close();
      once.close();
    },
  };
}

/**
 * The checks a request to `raw` would pass through, without sending it: scheme, credentials in
 * the URL, host name, and every resolved address (unless the origin is in `allowedOrigins`).
 * Answers why the URL is refused, or undefined. Used where a URL is stored for later calls
 * (webhook endpoints), which are checked again at each request.
 */
export async function vetOutboundUrl(
  raw: string,
  opts: { allowedOrigins?: readonly string[]; lookup?: (host: string) => Promise<string[]> },
): Promise<string | undefined> {
  const target = checkUrl(raw, new Set((opts.allowedOrigins ?? []).map(originOf)));
  if ('ok' in target) return target.message;
  if (!target.trusted && target.url.protocol !== 'https:') return 'only https URLs are allowed';
  const resolved = await resolveTarget(target, opts.lookup ?? systemLookup);
  return typeof resolved === 'string' ? undefined : resolved.message;
}
