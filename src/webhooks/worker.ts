import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecretBox } from '../crypto/secret-box.js';
import { type Clock, iso } from '../lib/clock.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { OutboundHttp } from '../net/types.js';
import type { Db } from '../store/db.js';
import { disableEndpoint, endpointSecretPlace } from './endpoints.js';
import { webhookHeaders } from './sign.js';
import {
  type AttemptResult,
  type ClaimedDelivery,
  claimDeliveries,
  recordAttempts,
  releaseDeliveries,
} from './store.js';

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
 * claimed and sent again (at least once).
 */
export function createDeliveryWorker(d: DeliveryWorkerDeps) {
  const idleMs = d.idleMs ?? 500;
  /** Claimed deliveries waiting for a slot, per endpoint, with when they were claimed. */
  const queues = new Map<string, Array<{ delivery: ClaimedDelivery; claimedAt: number }>>();
  const running = new Map<string, number>();
  let inFlight = 0;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let tickAgain = false;
  let idleResolvers: Array<() => void> = [];
  let pendingResults: AttemptResult[] = [];
  let pendingReleases: string[] = [];
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
    const body = JSON.stringify({
      type: c.event_type,
      timestamp: iso(new Date(c.event_created_at)),
      data: c.event_data,
    });
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

  /** Writes the attempts gathered so far in one transaction (one at a time); disables endpoints that gave up. */
  function flushResults(): Promise<void> {
    if (recording) return recording;
    recording = (async () => {
      while (pendingResults.length > 0 || pendingReleases.length > 0) {
        const batch = pendingResults.slice(0, 500);
        pendingResults = pendingResults.slice(batch.length);
        const releases = pendingReleases;
        pendingReleases = [];
        const now = d.clock.now();
        try {
          await releaseDeliveries(d.db, d.nodeId, releases);
          await d.db.transaction().execute(async (trx) => {
            const stale = await recordAttempts(trx, d.nodeId, batch, now, new Date(now.getTime() - DISABLE_AFTER_MS));
            const gone = [...new Set(batch.filter((r) => r.statusCode === 410).map((r) => r.delivery.endpoint_id))];
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
        for (let i = 0; i < batch.length + releases.length; i++) settled();
      }
    })().finally(() => {
      recording = undefined;
    });
    return recording;
  }

  /** The request is over: its endpoint slot is free for the next delivery (the lease is held until recorded). */
  function slotFree(endpointId: string): void {
    running.set(endpointId, (running.get(endpointId) ?? 1) - 1);
    pump(endpointId);
  }

  /** A claimed delivery is settled (recorded or given back). */
  function settled(): void {
    inFlight -= 1;
    if (inFlight === 0) {
      for (const r of idleResolvers) r();
      idleResolvers = [];
    }
  }

  function pump(endpointId: string): void {
    const q = queues.get(endpointId) ?? [];
    while ((running.get(endpointId) ?? 0) < d.perEndpoint && q.length > 0) {
      const next = q.shift();
      if (!next) break;
      running.set(endpointId, (running.get(endpointId) ?? 0) + 1);
      // A claim that waited past half its lease may be claimed by another node soon: give it back.
      if (performance.now() - next.claimedAt > d.leaseMs / 2) {
        pendingReleases.push(next.delivery.id);
        void flushResults();
        running.set(endpointId, (running.get(endpointId) ?? 1) - 1);
        continue;
      }
      void send(next.delivery).then(
        (result) => {
          sent += 1;
          pendingResults.push(result);
          void flushResults();
          slotFree(endpointId);
        },
        () => {
          // Not sent (cannot happen: the client answers failures as results); the lease expires.
          settled();
          slotFree(endpointId);
        },
      );
    }
    if (q.length === 0) queues.delete(endpointId);
    if ((queues.get(endpointId)?.length ?? 0) < d.perEndpoint) schedule(0);
  }

  /** Endpoints with a full local queue: not claimed for until it drains. */
  const busy = () => [...queues.entries()].filter(([, q]) => q.length >= d.perEndpoint).map(([id]) => id);

  async function claimOnce(): Promise<number> {
    const claimedAt = performance.now();
    const rows = await claimDeliveries(d.db, d.nodeId, d.leaseMs, d.perEndpoint * 16, d.clock.now(), busy());
    inFlight += rows.length;
    for (const delivery of rows) {
      const q = queues.get(delivery.endpoint_id) ?? [];
      q.push({ delivery, claimedAt });
      queues.set(delivery.endpoint_id, q);
    }
    for (const id of new Set(rows.map((r) => r.endpoint_id))) pump(id);
    return rows.length;
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    if (ticking) {
      tickAgain = true;
      return;
    }
    ticking = true;
    tickAgain = false;
    let claimed = 0;
    try {
      claimed = await claimOnce();
    } catch (err) {
      d.log.error({ err: { type: err instanceof Error ? err.name : 'unknown' } }, 'claiming webhook deliveries failed');
    } finally {
      ticking = false;
      schedule(tickAgain || claimed > 0 ? 0 : idleMs);
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer && ms > 0) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void tick();
    }, ms);
    timer.unref();
  }

  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleResolvers.push(r)));

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** New deliveries are due: look now. */
    wake(): void {
      schedule(0);
    },
    /** Claims and sends until nothing is due (tests and benchmarks). */
    async drain(): Promise<void> {
      for (;;) {
        const claimed = await claimOnce();
        await idle();
        await flushResults();
        if (claimed === 0) return;
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await idle();
      await flushResults();
    },
    stats: () => ({ inFlight, sent }),
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
