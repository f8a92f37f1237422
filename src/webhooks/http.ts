import type { OutboundHttp, OutboundResult } from '../net/types.js';
import { createStreamingHttp } from '../net/pool.js';

/** Most of an answer read (the attempt keeps its first 1 KiB); past it the connection is dropped, not reused. */
const MAX_READ_BYTES = 64 * 1024;

export interface WebhookHttpOptions {
  /** CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: the only origins that may be http or non-public. */
  allowedOrigins: readonly string[];
  lookup?: (host: string) => Promise<string[]>;
  /** Sockets per endpoint origin and address. */
  maxSockets?: number;
}

/**
 * The delivery client (docs/events.md, "Delivery"): the proxy's keep-alive pool (net/pool.ts),
 * so a busy endpoint is sent to over a few kept connections instead of one new connection per
 * event. The pool keeps every outbound check: https only except the allowed origins, every DNS
 * answer public, each request's URL checked and resolved again, sockets pooled per origin AND
 * pinned address (a changed DNS answer gets a new pool). A request that fails on a stale pooled
 * socket is an ordinary failed attempt, retried on the schedule like any other.
 */
export function createWebhookHttp(opts: WebhookHttpOptions): OutboundHttp & { close(): void } {
  const pool = createStreamingHttp({
    allowedOrigins: opts.allowedOrigins,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    maxSockets: opts.maxSockets ?? 16,
  });
  return {
    async request(req): Promise<OutboundResult> {
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const res = await pool.request({
        method: req.method,
        url: req.url,
        headers: {
          ...req.headers,
          ...(body ? { 'content-length': String(body.length) } : {}),
        },
        ...(body ? { body } : {}),
        timeoutMs: req.timeoutMs ?? 15_000,
      });
      if (!res.ok) return res;
      const answer = res.response;
      const where = new URL(req.url).host;
      return new Promise<OutboundResult>((settle) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const done = (r: OutboundResult) => {
          if (settled) return;
          settled = true;
          settle(r);
        };
        const answered = () =>
          done({
            ok: true,
            response: { status: answer.statusCode, headers: {}, body: Buffer.concat(chunks).toString('utf8') },
          });
        answer.body.pipeTo({
          data(chunk) {
            if (settled) return false;
            size += chunk.length;
            chunks.push(chunk);
            // Enough for the excerpt: the rest is not read, and the connection is not reused.
            if (size >= MAX_READ_BYTES) {
              answered();
              answer.body.destroy();
              return false;
            }
            return true;
          },
          end: answered,
          error: () =>
            done({
              ok: false,
              reason: 'network_error',
              message: `connection to ${where} closed before the answer was complete`,
            }),
        });
      });
    },
    close: () => pool.close(),
  };
}
