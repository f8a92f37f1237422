/**
 * Keep-alive connection pools keyed by origin AND pinned address (docs/security.md A6), on undici:
 * a pooled connection is only ever reused by a request whose host was resolved and validated to
 * that very address, so a DNS answer that changes (rebinding) gets a new pool, never an old
 * connection to somewhere else. Each pool's connector dials only its checked address; SNI and the
 * certificate check use the URL's host name. Used by the proxy's and webhooks' streaming client
 * (pool.ts) and by the provider client (outbound.ts: check GETs kept alive, token POSTs on a
 * connection each, closed after it). node:http's client
 * (ClientRequest, its agent, the answer's IncomingMessage) cost about 20 µs of CPU per exchange
 * more (docs/performance.md, "Proxy: the outbound client").
 *
 * Nothing here retries: undici sends a queued request again only when it was never written to a
 * connection; a request that fails on a stale pooled connection is answered as a failure (a
 * refresh POST must never be replayed, issue 11 item 5).
 */
import type { Readable } from 'node:stream';
import { Pool, buildConnector, type Dispatcher } from 'undici';
import type { Failure, Target } from './outbound.js';
import { errorMessage } from './outbound.js';

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

/** One request to a checked target at its pinned address. */
export interface PinnedRequest {
  method: string;
  headers: Record<string, string | string[]>;
  /** A buffered body (can be sent again) or a stream (sent once, as it arrives). */
  body?: Buffer | Readable | undefined;
  /** Deadline for connect and the answer's headers; then the body idles at most this long. */
  timeoutMs: number;
  /** Close the connection after this request (no keep-alive). */
  close?: boolean;
}

export interface PinnedPoolOptions {
  /** Connections per origin and address. */
  maxSockets: number;
  /** An idle pooled connection is closed after this long (ms). */
  idleMs: number;
}

/** Most pools (origin and address pairs) kept; the oldest is closed beyond that. */
const MAX_POOLS = 1024;
/** Bytes of an answer held before its sink is attached; past it the connection is paused. */
const EARLY_BYTES = 64 * 1024;
/** Bytes of an unwanted body read to keep its connection; past it the connection is closed instead. */
const DISCARD_BYTES = 1024 * 1024;

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
  constructor(private readonly controller: Dispatcher.DispatchController) {}

  push(chunk: Buffer): void {
    if (this.discarding) {
      // A body nobody reads is drained to keep its connection, but not without end.
      this.earlyBytes += chunk.length;
      if (this.earlyBytes > DISCARD_BYTES) this.destroy();
      return;
    }
    const sink = this.sink;
    if (sink === undefined) {
      this.early.push(chunk);
      this.earlyBytes += chunk.length;
      if (this.earlyBytes > EARLY_BYTES) this.controller.pause();
      return;
    }
    if (!sink.data(chunk)) this.controller.pause();
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
      if (!sink.data(chunk)) {
        // The sink is full: what is still held, and the connection, wait for resume().
        this.early = early.slice(i + 1);
        this.controller.pause();
        return;
      }
    }
    if (this.failed) sink.error(this.failed);
    else if (this.ended) sink.end();
    else if (this.controller.paused) this.controller.resume();
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
    else if (this.controller.paused) this.controller.resume();
  }

  destroy(): void {
    if (this.ended || this.failed) return;
    const err = new Error('destroyed');
    this.controller.abort(err);
    this.cut(err);
  }

  discard(): void {
    this.discarding = true;
    this.early = [];
    this.earlyBytes = 0;
    if (this.controller.paused) this.controller.resume();
  }
}

export interface PinnedPools {
  /** Sends `req` to the checked target `t` over a connection to `address`; settles at the answer's headers. */
  request(t: Target, address: string, req: PinnedRequest): Promise<StreamResult>;
  /** Pools currently open (origin and address pairs). */
  size(): number;
  close(): void;
}

export function createPinnedPools(opts: PinnedPoolOptions): PinnedPools {
  const pools = new Map<string, Pool>();
  const poolFor = (t: Target, address: string): Pool => {
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
      connections: opts.maxSockets,
      pipelining: 1,
      keepAliveTimeout: opts.idleMs,
      keepAliveMaxTimeout: opts.idleMs,
    });
    pools.set(key, pool);
    return pool;
  };

  function request(t: Target, address: string, req: PinnedRequest): Promise<StreamResult> {
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
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
          if (answered) c.abort(new Error('timeout'));
        },
        onResponseStart(c, statusCode, headers) {
          // Only final answers reach here (undici handles 1xx itself).
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          body = new Body(c);
          settle({ ok: true, response: { statusCode, headers, body } });
        },
        onResponseData(_c, chunk) {
          body?.push(chunk);
        },
        onResponseEnd() {
          body?.finish();
        },
        onResponseError(_c, err) {
          if (answered) {
            body?.cut(err);
            return;
          }
          answered = true;
          clearTimeout(timer);
          settle(fail('network_error', errorMessage(err, where)));
        },
      };
      try {
        poolFor(t, address).dispatch(
          {
            origin: t.origin,
            path: `${t.url.pathname}${t.url.search}`,
            method: req.method as Dispatcher.HttpMethod,
            headers: req.headers,
            body: req.body ?? null,
            reset: req.close === true,
            headersTimeout: req.timeoutMs,
            bodyTimeout: req.timeoutMs,
          },
          handler,
        );
      } catch {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        settle(fail('network_error', `request to ${where} could not be sent (invalid request)`));
      }
    });
  }

  return {
    request,
    size: () => pools.size,
    close(): void {
      for (const p of pools.values()) void p.destroy();
      pools.clear();
    },
  };
}
