import type { Logger } from 'pino';
import { createWorkerLoop } from '../store/worker-loop.js';
import type { Runner } from './runner.js';
import { stackFrames } from '../lib/errors.js';
import type { HealthStore, WorkRow } from './store.js';

export interface SchedulerDeps {
  store: HealthStore;
  extend(id: string): Promise<WorkRow | undefined>;
  runner: Runner;
  log: Logger;
  nodeId: string;
  leaseMs: number;
  /** Checks running at once per provider, so a backlog never trips a provider's rate limit. */
  perProvider: number;
  /** Most claimed credentials queued or in their provider calls on this node at once. */
  maxInFlight?: number;
  /** How often to look for due credentials when idle. */
  idleMs?: number;
  /** Most rows of one account pending (queued or in provider calls) at once (default: maxInFlight less one provider's concurrency). */
  perAccount?: number;
  /** The host a row's provider calls go to (per-host backoff); the provider when unknown. */
  hostOf?: (row: WorkRow) => string;
  /** Consecutive timeouts toward a host before its rows wait (default 3). */
  hostTimeoutsBeforeBackoff?: number;
  /** First backoff of a host (doubles to 5 minutes; default 30 s). */
  hostBackoffMs?: number;
}

const MAX_HOST_BACKOFF_MS = 5 * 60_000;

/**
 * Periodic checks: claims due credentials with leases (any number of nodes can run this on one
 * PostgreSQL) and works them with bounded concurrency per provider, round-robin across accounts
 * (issue 13 item 7). The claim loop is the one every leased worker shares (store/worker-loop.ts);
 * what is particular here is the check itself and the per-host backoff. A tick reads only due rows.
 */
export function createScheduler(d: SchedulerDeps) {
  const maxInFlight = d.maxInFlight ?? Math.max(d.perProvider * 8, 64);
  // One account may have all of a node's claim capacity but one provider's worth pending (queued
  // or in its provider calls), so another account is always served. Leases whose results only
  // wait for their group-committed write hold no slot and are not counted (the loop passes its
  // per-account pending counts to the claim): counted, they made the allowance a lone account's
  // pipeline depth, and its claims came back empty while results waited for one commit
  // (docs/performance.md, "Scheduler pipeline").
  const perAccount = d.perAccount ?? Math.max(1, maxInFlight - d.perProvider);
  /** Hosts that timed out repeatedly: consecutive timeouts, and until when their rows wait. */
  const hosts = new Map<string, { timeouts: number; until: number }>();
  const timeoutsBeforeBackoff = d.hostTimeoutsBeforeBackoff ?? 3;
  const hostBackoffMs = d.hostBackoffMs ?? 30_000;
  const hostOf = (row: WorkRow) => d.hostOf?.(row) ?? row.provider;

  /** Counts a result toward its host: repeated timeouts make the host's rows wait, any answer resets. */
  function noteHost(host: string, result: WorkRow): void {
    const reason = (result.health as { reason?: unknown }).reason;
    if (reason !== 'timeout') {
      hosts.delete(host);
      return;
    }
    const h = hosts.get(host) ?? { timeouts: 0, until: 0 };
    h.timeouts += 1;
    if (h.timeouts >= timeoutsBeforeBackoff) {
      const wait = Math.min(hostBackoffMs * 2 ** (h.timeouts - timeoutsBeforeBackoff), MAX_HOST_BACKOFF_MS);
      h.until = Date.now() + wait;
      d.log.warn(
        { host, timeouts: h.timeouts, wait_ms: wait },
        'a provider host keeps timing out: its credentials wait before the next check',
      );
    }
    if (hosts.size > 10_000) hosts.clear();
    hosts.set(host, h);
  }

  async function runOne(row: WorkRow, providerDone: () => void): Promise<void> {
    try {
      const host = hostOf(row);
      const backoff = hosts.get(host);
      if (backoff && backoff.until > Date.now()) {
        // The host keeps timing out: no call, the row is due again when the host's wait ends. Its
        // slot (and its place in the account's allowance) is held until the deferral is written:
        // a quick write, and the account never holds more leases than its allowance plus the
        // results waiting for their group commit.
        await d.store.defer(row.id, d.nodeId, new Date(backoff.until));
        providerDone();
        return;
      }
      noteHost(host, await d.runner.work(row, { identify: true, providerDone }));
    } catch (err) {
      d.log.error(
        {
          credential_id: row.id,
          err: {
            type: err instanceof Error ? err.name : 'unknown',
            stack: stackFrames(err),
          },
        },
        'health check failed',
      );
      await d.store.release(row.id, d.nodeId).catch(() => undefined);
    }
  }

  const loop = createWorkerLoop<WorkRow>({
    log: d.log,
    what: 'due credentials',
    maxInFlight,
    // The slot bounds calls to the provider: it is free once the last call is made, while the
    // result is still being written (the lease is held until then).
    perGroup: d.perProvider,
    groupOf: (row) => row.provider,
    fairKeyOf: (row) => row.account_id,
    idleMs: d.idleMs ?? 1000,
    claim: (limit, _busy, pending) => d.store.claimDue(d.nodeId, d.leaseMs, limit, perAccount, pending),
    // A lease (3 provider timeouts + 5 s) outlives one refresh plus one identify call. A row
    // claimed less than a third of a lease ago still holds that much: work it as the claim read
    // it. One that waited longer in the queue renews its lease (and reads the latest row) first.
    renewAfterMs: d.leaseMs / 3,
    renew: (row) => d.extend(row.id),
    run: runOne,
  });

  return {
    start: loop.start,
    /** A credential became due: look now instead of at the next idle tick. */
    wake: loop.wake,
    /** Runs claim passes and waits for the work they started (tests and benchmarks). */
    drain: loop.drain,
    stop: loop.stop,
    stats: () => {
      const s = loop.stats();
      return { inFlight: s.inFlight, checked: s.done };
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
