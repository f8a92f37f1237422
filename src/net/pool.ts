/**
 * The streaming outbound client of the proxy. Same checks as outbound.ts (https only except the
 * operator's override origins, every DNS answer public, the checked address pinned), plus
 * keep-alive connections pooled per origin AND pinned address: a pooled socket is only ever
 * reused by a request whose host was resolved and validated to that very address, so a DNS
 * answer that changes (rebinding) gets a new pool, never an old socket to somewhere else.
 *
 * Nothing here retries: a request that fails on a stale pooled socket is answered as a failure
 * (the caller decides; a refresh POST must never be replayed, issue 11 item 5). The provider
 * client (outbound.ts) pools only its GETs (checks), with the same pools (agents.ts); its token
 * requests (POSTs) keep one socket each (docs/performance.md, "Scheduler pipeline").
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createAgentPool, pinnedLookup } from './agents.js';
import {
  type Failure,
  type Target,
  checkParsedUrl,
  errorMessage,
  originOf,
  resolveTarget,
  systemLookup,
} from './outbound.js';

export interface StreamRequest {
  method: string;
  /** The URL, or the caller's already parsed URL object (the proxy's: no second parse). */
  url: string | URL;
  headers: Record<string, string | string[]>;
  /** A buffered body (can be sent again) or a stream (sent once, as it arrives). */
  body?: Buffer | Readable;
  /** Deadline for DNS, connect and the answer's headers; then the body idles at most this long. */
  timeoutMs: number;
}

export type StreamResult = { ok: true; response: IncomingMessage; reusedSocket: boolean } | Failure;

export interface StreamingHttpOptions {
  allowedOrigins?: readonly string[];
  lookup?: (host: string) => Promise<string[]>;
  /** Sockets per origin and address (default 64). */
  maxSockets?: number;
  /** An idle pooled socket is closed after this long (default 4 s, under common server keep-alive timeouts). */
  idleMs?: number;
  /** false: a new connection per request, closed after it (the measurement's baseline). */
  keepAlive?: boolean;
}

export interface StreamingHttp {
  request(req: StreamRequest): Promise<StreamResult>;
  /** Pools currently open (origin and address pairs). */
  pools(): number;
  close(): void;
}

/** How many checked URLs a client remembers. */
const CHECKED_URLS_MAX = 256;

function fail(reason: Failure['reason'], message: string): Failure {
  return { ok: false, reason, message };
}

export function createStreamingHttp(opts: StreamingHttpOptions = {}): StreamingHttp {
  const allowed: ReadonlySet<string> = new Set((opts.allowedOrigins ?? []).map(originOf));
  const lookup = opts.lookup ?? systemLookup;
  const keepAlive = opts.keepAlive ?? true;
  const agents = createAgentPool({ maxSockets: opts.maxSockets ?? 64, idleMs: opts.idleMs ?? 4000 });
  // The URL check is a pure function of the URL's scheme, host, port and user part (and
  // `allowed`); path and query play no part. Its verdict is kept per origin (bounded), so a
  // proxied call's varying paths and queries reuse it; a URL with a user part is never cached.
  // DNS is not cached: every request resolves and checks anew.
  const checked = new Map<string, Omit<Target, 'url'>>();
  const check = (raw: string | URL): Target | Failure => {
    let url: URL;
    try {
      url = typeof raw === 'string' ? new URL(raw) : raw;
    } catch {
      return fail('blocked_host', 'the URL is not a valid absolute https URL');
    }
    const plain = url.username === '' && url.password === '';
    const hit = plain ? checked.get(url.origin) : undefined;
    if (hit !== undefined) return { url, host: hit.host, literal: hit.literal, trusted: hit.trusted };
    const target = checkParsedUrl(url, allowed);
    if (!('ok' in target) && plain) {
      if (checked.size >= CHECKED_URLS_MAX) checked.clear();
      checked.set(url.origin, { host: target.host, literal: target.literal, trusted: target.trusted });
    }
    return target;
  };

  const agentFor = (t: Target, address: string): http.Agent | false => keepAlive && agents.agentFor(t, address);

  function exchange(req: StreamRequest, t: Target, address: string): Promise<StreamResult> {
    const where = t.url.host;
    return new Promise<StreamResult>((settle) => {
      let done = false;
      let outgoing: http.ClientRequest | undefined;
      const finish = (r: StreamResult): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!r.ok) outgoing?.destroy();
        settle(r);
      };
      const timer = setTimeout(
        () => finish(fail('timeout', `${where} did not answer within ${req.timeoutMs} ms`)),
        req.timeoutMs,
      );
      const secure = t.url.protocol === 'https:';
      const agent = agentFor(t, address);
      try {
        outgoing = (secure ? https : http).request(
          {
            host: t.host,
            port: t.url.port === '' ? undefined : Number(t.url.port),
            path: `${t.url.pathname}${t.url.search}`,
            method: req.method,
            headers: req.headers,
            // The pooled agent connects through its own pinned lookup (agent options win over
            // the request's); without an agent the request carries one.
            ...(agent ? { agent } : { agent: false, lookup: pinnedLookup(address) }),
            ...(secure && t.literal === null ? { servername: t.host.replace(/\.$/, '') } : {}),
          },
          (res) => {
            const sent = outgoing;
            // Past the headers, the body may idle at most the same time before it is cut (the
            // request's own timer: Node drops it when the socket goes back to the pool).
            sent?.setTimeout(req.timeoutMs, () => sent.destroy(new Error('idle')));
            finish({ ok: true, response: res, reusedSocket: sent?.reusedSocket ?? false });
          },
        );
      } catch (err) {
        finish(
          fail(
            'network_error',
            `request to ${where} could not be sent${err instanceof TypeError ? ' (invalid header)' : ''}`,
          ),
        );
        return;
      }
      const out = outgoing;
      out.on('error', (err) => finish(fail('network_error', errorMessage(err, where))));
      const body = req.body;
      if (body === undefined || Buffer.isBuffer(body)) {
        out.end(body);
        return;
      }
      body.on('error', () => out.destroy());
      body.pipe(out);
    });
  }

  return {
    async request(req) {
      try {
        const t = check(req.url);
        if ('ok' in t) return t;
        const address = t.literal ?? (await resolveTarget(t, lookup));
        if (typeof address !== 'string') return address;
        return await exchange(req, t, address);
      } catch {
        return fail('network_error', 'the request could not be made');
      }
    },
    pools: agents.size,
    close: agents.close,
  };
}
