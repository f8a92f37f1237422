import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.js';
import { type Clock, iso } from '../lib/clock.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { OutboundHttp } from '../net/types.js';
import type { Db } from '../store/db.js';
import { createWorkerLoop } from '../store/worker-loop.js';
import { disableEndpoint, endpointSecretPlace } from './endpoints.js';
import { webhookHeaders } from './sign.js';
import { type AttemptResult, type ClaimedDelivery, claimDeliveries, recordAttempts, renewDelivery } from './store.js';

/** Waits after each failed attempt (docs/events.md, "Delivery"): ≈ 28 h in all, then `failed`. */
export const RETRY_DELAYS_MS = [5_000, 60_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const DISABLE_AFTER_MS = 3 * 86_400_000;
const EXCERPT_CHARS = 1024;

export interface DeliveryWorkerDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  http: OutboundHttp;
  nodeId: string;
  /** Lease on a claimed delivery (30 s at most). */
  leaseMs: number;
  /** Requests in flight per endpoint (default 4). */
  perEndpoint: number;
  /** Deadline of one delivery request (15 s). */
  timeoutMs: number;
  idleMs?: number;
  /** Deliveries claimed and not yet recorded on this node at once (default 4096). */
  maxInFlight?: number;
}

/** ±10 % so endpoints that failed together do not all retry in the same instant. */
function jitter(ms: number): number {
  return Math.round(ms * (0.9 + randomInt(0, 2001) / 10_000));
}

/**
 * The delivery worker of one node: claims due deliveries with leases (any number of nodes on one
 * PostgreSQL), sends them signed in the Standard Webhooks format with at most `perEndpoint`
 * requests per endpoint (a slow or dead endpoint holds only its own slots), and records the
 * attempts in batches. A node killed mid-send leaves its leases to expire; the delivery is then
 * claimed and sent again (at least once). The claim loop is the one the health scheduler uses
 * too (store/worker-loop.ts).
 */
export function createDeliveryWorker(d: DeliveryWorkerDeps) {
  /** Attempts sent and not yet recorded, each with what settles its delivery once written. */
  let pendingResults: Array<{ result: AttemptResult; settle: () => void }> = [];
  let recording: Promise<void> | undefined;
  let sent = 0;

  /** Opened secrets by envelope (a rotation or rewrap makes a new envelope): one decryption per endpoint, not per delivery. */
  const opened = new Map<string, string>();
  const open = (envelope: string, c: ClaimedDelivery, field: 'secret' | 'previous_secret'): string => {
    let plain = opened.get(envelope);
    if (plain === undefined) {
      plain = d.box.open(envelope, endpointSecretPlace(c.account_id, c.endpoint_id, field));
      if (opened.size >= 1000) opened.clear();
      opened.set(envelope, plain);
    }
    return plain;
  };
  const secretsOf = (c: ClaimedDelivery, now: Date): string[] => {
    const out = [open(c.secret, c, 'secret')];
    if (c.previous_secret && c.previous_secret_expires_at && new Date(c.previous_secret_expires_at) > now)
      out.push(open(c.previous_secret, c, 'previous_secret'));
    return out;
  };

  async function send(c: ClaimedDelivery): Promise<AttemptResult> {
    const attemptedAt = d.clock.now();
    const body = `{"type":${JSON.stringify(c.event_type)},"timestamp":${JSON.stringify(iso(new Date(c.event_created_at)))},"data":${c.event_data}}`;
    const started = performance.now();
    const res = await d.http.request({
      method: 'POST',
      url: c.url,
      headers: webhookHeaders(secretsOf(c, attemptedAt), c.event_id, Math.floor(attemptedAt.getTime() / 1000), body),
      body,
      timeoutMs: d.timeoutMs,
    });
    const durationMs = Math.round(performance.now() - started);
    const statusCode = res.ok ? res.response.status : null;
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const attempt = c.attempts + 1;
    const delay = RETRY_DELAYS_MS[attempt - 1];
    const status = ok ? 'delivered' : statusCode === 410 || delay === undefined ? 'failed' : 'pending';
    return {
      delivery: c,
      attemptId: uuidv7(attemptedAt),
      attemptedAt,
      statusCode,
      error: res.ok ? (ok ? null : `answered ${res.response.status}`) : res.message,
      durationMs,
      excerpt: res.ok ? res.response.body.slice(0, EXCERPT_CHARS) : null,
      status,
      nextAttemptAt:
        status === 'pending' && delay !== undefined ? new Date(attemptedAt.getTime() + jitter(delay)) : null,
    };
  }

  /**
   * Writes the attempts gathered so far, up to 500 in one transaction (one batch at a time, so
   * the attempts of many requests share each commit); disables endpoints that gave up.
   */
  function flushResults(): Promise<void> {
    if (recording) return recording;
    recording = (async () => {
      while (pendingResults.length > 0) {
        const batch = pendingResults.slice(0, 500);
        pendingResults = pendingResults.slice(batch.length);
        const results = batch.map((b) => b.result);
        const now = d.clock.now();
        try {
          await d.db.transaction().execute(async (trx) => {
            const stale = await recordAttempts(trx, d.nodeId, results, now, new Date(now.getTime() - DISABLE_AFTER_MS));
            const gone = [...new Set(results.filter((r) => r.statusCode === 410).map((r) => r.delivery.endpoint_id))];
            for (const id of gone) await disableEndpoint(trx, id, 'The endpoint answered 410 Gone.', now);
            for (const id of stale)
              await disableEndpoint(trx, id, 'Every delivery to the endpoint failed for 3 days.', now);
          });
        } catch (err) {
          // The leases expire and the deliveries are sent again: at least once, never lost.
          d.log.error(
            { err: { type: err instanceof Error ? err.name : 'unknown' } },
            'recording webhook attempts failed; the deliveries will be retried',
          );
        }
        for (const b of batch) b.settle();
      }
    })().finally(() => {
      recording = undefined;
    });
    return recording;
  }

  const loop = createWorkerLoop<ClaimedDelivery>({
    log: d.log,
    what: 'webhook deliveries',
    maxInFlight: d.maxInFlight ?? 4096,
    perGroup: d.perEndpoint,
    groupOf: (c) => c.endpoint_id,
    // An endpoint with a full local queue is not claimed for until it drains below 4 slots' worth
    // (claimed again before it runs dry): its rows stay free for other nodes, and a slow endpoint
    // holds only its own slots and a bounded queue.
    busyAt: d.perEndpoint * 4,
    idleMs: d.idleMs ?? 500,
    // Deliveries of a stream of changes are claimed every 50 ms in one batch, not one claim and
    // one recording transaction per event; a backlog (a full batch for an endpoint) is claimed
    // without waiting.
    gatherMs: 50,
    fullBatch: d.perEndpoint * 16,
    // One statement claims a batch across endpoints: up to 16 slots' worth per endpoint.
    claim: (limit, busy) => claimDeliveries(d.db, d.nodeId, d.leaseMs, d.perEndpoint * 16, limit, d.clock.now(), busy),
    // A delivery that waited past half its lease renews it before it is sent.
    renewAfterMs: d.leaseMs / 2,
    renew: async (c) => ((await renewDelivery(d.db, d.nodeId, c.id, d.leaseMs)) ? c : undefined),
    async run(c, slotDone) {
      let result: AttemptResult;
      try {
        result = await send(c);
      } finally {
        // The request is over: the endpoint's slot is free (the lease is held until recorded).
        slotDone();
      }
      sent += 1;
      await new Promise<void>((settle) => {
        pendingResults.push({ result, settle });
        void flushResults();
      });
    },
  });

  return {
    start: loop.start,
    /** New deliveries are due: look now. */
    wake: loop.wake,
    /** Claims and sends until nothing is due (tests and benchmarks). */
    drain: loop.drain,
    stop: loop.stop,
    stats: () => ({ inFlight: loop.stats().inFlight, sent }),
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
