/**
 * The streaming outbound client of the proxy and of webhook deliveries. Same checks as
 * outbound.ts (https only except the operator's override origins, every DNS answer public, the
 * checked address pinned), then the request goes over a keep-alive pool per origin AND pinned
 * address (pinned-pools.ts, on undici; docs/security.md A6).
 *
 * Nothing here retries: a request that fails on a stale pooled socket is answered as a failure
 * (the caller decides; a refresh POST must never be replayed, issue 11 item 5).
 */
import type { Readable } from 'node:stream';
import { type Failure, type Target, checkParsedUrl, originOf, resolveTarget, systemLookup } from './outbound.js';
import { type StreamResult, createPinnedPools } from './pinned-pools.js';

export type { AnswerBody, AnswerSink, StreamedAnswer, StreamResult } from './pinned-pools.js';

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
  const maxSockets = opts.maxSockets ?? 64;
  const idleMs = opts.idleMs ?? 4000;
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
    if (hit !== undefined) return { ...hit, url };
    const target = checkParsedUrl(url, allowed);
    if (!('ok' in target) && plain) {
      if (checked.size >= CHECKED_URLS_MAX) checked.clear();
      checked.set(target.origin, {
        origin: target.origin,
        host: target.host,
        literal: target.literal,
        trusted: target.trusted,
      });
    }
    return target;
  };

  const pools = createPinnedPools({ maxSockets, idleMs });

  return {
    async request(req) {
      try {
        const t = check(req.url);
        if ('ok' in t) return t;
        const address = t.literal ?? (await resolveTarget(t, lookup));
        if (typeof address !== 'string') return address;
        return await pools.request(t, address, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          timeoutMs: req.timeoutMs,
          close: !keepAlive,
        });
      } catch {
        return fail('network_error', 'the request could not be made');
      }
    },
    pools: pools.size,
    close: pools.close,
  };
}
