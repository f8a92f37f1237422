/**
 * The streaming outbound client of the proxy and of webhook deliveries. Same checks as
 * outbound.ts (https only except the operator's override origins, every DNS answer public, the
 * checked address pinned), plus keep-alive connections pooled per origin AND pinned address: a
 * pooled socket is only ever reused by a request whose host was resolved and validated to that
 * very address, so a DNS answer that changes (rebinding) gets a new pool, never an old socket to
 * somewhere else (docs/security.md A6).
 *
 * The exchange runs on undici's connection pools (`Pool.dispatch`), whose connector is pinned to
 * the checked address. node:http's client (ClientRequest, its agent and the answer's
 * IncomingMessage) cost about 20 µs of CPU per call more than undici's for the same exchange, a
 * third of a proxied call (docs/performance.md, "Proxy: the outbound client").
 *
 * Nothing here retries: a request that fails on a stale pooled socket is answered as a failure
 * (the caller decides; a refresh POST must never be replayed, issue 11 item 5). undici sends a
 * queued request again only when it was never written to a socket.
 */
import type { Readable } from 'node:stream';
import { Pool, buildConnector, type Dispatcher } from 'undici';
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

/** Where an answer's body goes (AnswerBody.pipeTo). */
export interface AnswerSink {
  /** A chunk; false: stop until AnswerBody.resume() is called. */
  data(chunk: Buffer): boolean;
  /** The whole body was received. */
  end(): void;
  /** The body was cut (connection lost, idle past the timeout, destroyed): it is incomplete. */
  error(err: Error): void;
}

/** The body of an answer, delivered once to one sink. */
export interface AnswerBody {
  /** Starts the delivery; what arrived before is delivered first, in order. Once only. */
  pipeTo(sink: AnswerSink): void;
  /** Delivery goes on after the sink's data() returned false. */
  resume(): void;
  /** Stops the body and closes its connection (not reused); the sink hears error(). */
  destroy(): void;
  /** The body is not wanted: read to its end and dropped, so the connection can be reused. */
  discard(): void;
}

export interface StreamedAnswer {
  statusCode: number;
  /** Lower-case names; a repeated header is an array. */
  headers: Record<string, string | string[] | undefined>;
  body: AnswerBody;
}

export type StreamResult = { ok: true; response: StreamedAnswer } | Failure;

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
/** Most pools (origin and address pairs) kept; the oldest is closed beyond that. */
const MAX_POOLS = 1024;
/** Bytes of an answer held before its sink is attached; past it the connection is paused. */
const EARLY_BYTES = 64 * 1024;

function fail(reason: Failure['reason'], message: string): Failure {
  return { ok: false, reason, message };
}

/**
 * One answer's body between undici's handler (push side) and its sink. Chunks that arrive
 * before pipeTo are kept in order (small answers arrive with their headers, in the same read).
 */
class Body implements AnswerBody {
  private sink: AnswerSink | undefined;
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private ended = false;
  private failed: Error | undefined;
  private discarding = false;
  controller: Dispatcher.DispatchController | undefined;

  push(chunk: Buffer): void {
    if (this.discarding) return;
    const sink = this.sink;
    if (sink === undefined) {
      this.early.push(chunk);
      this.earlyBytes += chunk.length;
      if (this.earlyBytes > EARLY_BYTES) this.controller?.pause();
      return;
    }
    if (!sink.data(chunk)) this.controller?.pause();
  }

  finish(): void {
    if (this.ended || this.failed) return;
    this.ended = true;
    this.sink?.end();
  }

  cut(err: Error): void {
    if (this.ended || this.failed) return;
    this.failed = err;
    this.sink?.error(err);
  }

  pipeTo(sink: AnswerSink): void {
    if (this.sink !== undefined) throw new Error('an answer body is delivered once');
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (let i = 0; i < early.length; i++) {
      if (this.failed) break;
      const chunk = early[i] as Buffer;
      if (!sink.data(chunk) && i < early.length - 1) {
        // The sink is full with chunks still held: they wait for resume().
        this.early = early.slice(i + 1);
        this.controller?.pause();
        return;
      }
    }
    if (this.failed) sink.error(this.failed);
    else if (this.ended) sink.end();
    else if (this.controller?.paused) this.controller.resume();
  }

  resume(): void {
    const sink = this.sink;
    if (sink === undefined) return;
    while (this.early.length > 0) {
      const chunk = this.early.shift() as Buffer;
      if (!sink.data(chunk)) return;
    }
    if (this.failed) sink.error(this.failed);
    else if (this.ended) sink.end();
    else if (this.controller?.paused) this.controller.resume();
  }

  destroy(): void {
    if (this.ended || this.failed) return;
    const err = new Error('destroyed');
    this.controller?.abort(err);
    this.cut(err);
  }

  discard(): void {
    this.discarding = true;
    this.early = [];
    if (this.controller?.paused) this.controller.resume();
  }
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
  const checked = new Map<string, Omit<Target, 'url'> & { origin: string }>();
  const check = (raw: string | URL): (Target & { origin: string }) | Failure => {
    let url: URL;
    try {
      url = typeof raw === 'string' ? new URL(raw) : raw;
    } catch {
      return fail('blocked_host', 'the URL is not a valid absolute https URL');
    }
    const plain = url.username === '' && url.password === '';
    const origin = url.origin;
    const hit = plain ? checked.get(origin) : undefined;
    if (hit !== undefined) return { url, origin, host: hit.host, literal: hit.literal, trusted: hit.trusted };
    const target = checkParsedUrl(url, allowed);
    if ('ok' in target) return target;
    if (plain) {
      if (checked.size >= CHECKED_URLS_MAX) checked.clear();
      checked.set(origin, { origin, host: target.host, literal: target.literal, trusted: target.trusted });
    }
    return { ...target, origin };
  };

  // One undici pool per origin AND pinned address; its connector connects to that address only
  // (SNI and the certificate check use the URL's host name).
  const pools = new Map<string, Pool>();
  const poolFor = (t: Target & { origin: string }, address: string): Pool => {
    const key = `${t.origin}|${address}`;
    const found = pools.get(key);
    if (found !== undefined) return found;
    if (pools.size >= MAX_POOLS) {
      const [oldest] = pools.keys();
      if (oldest !== undefined) {
        void pools.get(oldest)?.destroy();
        pools.delete(oldest);
      }
    }
    const base = buildConnector({});
    const servername = t.literal === null ? t.host.replace(/\.$/, '') : undefined;
    const connect: buildConnector.connector = (o, callback) =>
      base({ ...o, hostname: address, ...(servername ? { servername } : {}) }, callback);
    const pool = new Pool(t.origin, {
      connect,
      connections: maxSockets,
      pipelining: 1,
      keepAliveTimeout: idleMs,
      keepAliveMaxTimeout: idleMs,
    });
    pools.set(key, pool);
    return pool;
  };

  function exchange(req: StreamRequest, t: Target & { origin: string }, address: string): Promise<StreamResult> {
    const where = t.url.host;
    return new Promise<StreamResult>((settle) => {
      let answered = false;
      let controller: Dispatcher.DispatchController | undefined;
      let body: Body | undefined;
      const timer = setTimeout(() => {
        if (answered) return;
        answered = true;
        controller?.abort(new Error('timeout'));
        settle(fail('timeout', `${where} did not answer within ${req.timeoutMs} ms`));
      }, req.timeoutMs);
      const failed = (err: Error): void => {
        if (answered) {
          body?.cut(err);
          return;
        }
        answered = true;
        clearTimeout(timer);
        settle(fail('network_error', errorMessage(err, where)));
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (answered) c.abort(new Error('timeout'));
        },
        onResponseStart(c, statusCode, headers) {
          // 1xx answers are not relayed (undici passes only final answers here).
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          body = new Body();
          body.controller = c;
          settle({ ok: true, response: { statusCode, headers, body } });
        },
        onResponseData(_c, chunk) {
          body?.push(chunk);
        },
        onResponseEnd() {
          body?.finish();
        },
        onResponseError(_c, err) {
          failed(err);
        },
      };
      const pool = poolFor(t, address);
      try {
        pool.dispatch(
          {
            origin: t.origin,
            path: `${t.url.pathname}${t.url.search}`,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            body: req.body ?? null,
            reset: !keepAlive,
            headersTimeout: req.timeoutMs,
            bodyTimeout: req.timeoutMs,
          },
          handler,
        );
      } catch (err) {
        answered = true;
        clearTimeout(timer);
        settle(
          fail(
            'network_error',
            `request to ${where} could not be sent${err instanceof Error && 'code' in err && err.code === 'UND_ERR_INVALID_ARG' ? ' (invalid header)' : ''}`,
          ),
        );
      }
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
    pools: () => pools.size,
    close(): void {
      for (const p of pools.values()) void p.destroy();
      pools.clear();
    },
  };
}
