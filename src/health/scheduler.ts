import type { Logger } from 'pino';
import { isStorageUnavailable, unavailableCause } from '../store/availability.js';
import type { Runner } from './runner.js';
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
  /** Most rows one account holds leased at once (default: half of maxInFlight). */
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
 * Claimed rows of one provider waiting for a slot, served round-robin across accounts (issue 13
 * item 7): an account with a thousand rows queued delays another account's first row by at most
 * one row per slot.
 */
class FairQueue<T> {
  private byAccount = new Map<string, T[]>();
  push(account: string, item: T): void {
    const q = this.byAccount.get(account);
    if (q) q.push(item);
    else this.byAccount.set(account, [item]);
  }
  shift(): T | undefined {
    for (const [account, q] of this.byAccount) {
      const item = q.shift();
      // Next turn goes to the following account: this one moves to the back.
      this.byAccount.delete(account);
      if (q.length > 0) this.byAccount.set(account, q);
      if (item !== undefined) return item;
    }
    return undefined;
  }
  get length(): number {
    let n = 0;
    for (const q of this.byAccount.values()) n += q.length;
    return n;
  }
}

/**
 * Periodic checks: claims due credentials with leases (any number of nodes can run this on one
 * PostgreSQL) and works them with bounded concurrency per provider. A tick reads only due rows.
 */
export function createScheduler(d: SchedulerDeps) {
  const maxInFlight = d.maxInFlight ?? Math.max(d.perProvider * 8, 64);
  // Claims refill in batches: only once no more than half the capacity is in use.
  const lowWater = Math.floor(maxInFlight / 2);
  const idleMs = d.idleMs ?? 1000;
  const perAccount = d.perAccount ?? Math.max(1, lowWater);
  const running = new Map<string, number>();
  /** Claimed rows waiting for a slot of their provider, with when their claim was sent. */
  const queues = new Map<string, FairQueue<{ row: WorkRow; claimedAt: number }>>();
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
  /** Claimed and not yet past their provider calls (what claims refill). */
  let pending = 0;
  /** Claimed and not yet written: leases this node holds. */
  let inFlight = 0;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let ticking = false;
  let tickAgain = false;
  let idleResolvers: Array<() => void> = [];
  let checked = 0;
  /** Consecutive failed claims, and the cause last logged (logged once, not on every retry). */
  let failures = 0;
  let loggedCause: string | undefined;

  function pump(provider: string): void {
    const q = queues.get(provider);
    if (!q) return;
    while ((running.get(provider) ?? 0) < d.perProvider && q.length > 0) {
      const claimed = q.shift();
      if (!claimed) break;
      running.set(provider, (running.get(provider) ?? 0) + 1);
      // The slot bounds calls to the provider: it is free once the last call is made, while the
      // result is still being written (the lease is held until then; inFlight counts it).
      let holding = true;
      const freeSlot = () => {
        if (!holding) return;
        holding = false;
        running.set(provider, (running.get(provider) ?? 1) - 1);
        pending -= 1;
        pump(provider);
        if (pending <= lowWater) schedule(0);
      };
      void runOne(claimed.row, claimed.claimedAt, freeSlot).finally(() => {
        freeSlot();
        inFlight -= 1;
        checked += 1;
        // A lease let go may be what held an account at its allowance (perAccount): claim again.
        if (pending <= lowWater) schedule(0);
        if (inFlight === 0) {
          for (const r of idleResolvers) r();
          idleResolvers = [];
        }
      });
    }
  }

  async function runOne(claimed: WorkRow, claimedAt: number, providerDone: () => void): Promise<void> {
    try {
      // A lease (3 provider timeouts + 5 s) outlives one refresh plus one identify call. A row
      // claimed less than a third of a lease ago still holds that much: work it as the claim read
      // it. One that waited longer in the queue renews its lease (and reads the latest row) first.
      const host = hostOf(claimed);
      const backoff = hosts.get(host);
      if (backoff && backoff.until > Date.now()) {
        // The host keeps timing out: no call, the row is due again when the host's wait ends.
        providerDone();
        await d.store.defer(claimed.id, d.nodeId, new Date(backoff.until));
        return;
      }
      const row = performance.now() - claimedAt < d.leaseMs / 3 ? claimed : await d.extend(claimed.id);
      if (!row) return;
      noteHost(host, await d.runner.work(row, { identify: true, providerDone }));
    } catch (err) {
      d.log.error(
        {
          credential_id: claimed.id,
          err: {
            type: err instanceof Error ? err.name : 'unknown',
            stack: err instanceof Error ? err.stack : undefined,
          },
        },
        'health check failed',
      );
      await d.store.release(claimed.id, d.nodeId).catch(() => undefined);
    }
  }

  /** Claims due credentials up to free capacity and queues them; answers how many. */
  async function claimOnce(): Promise<number> {
    if (pending > lowWater) return 0;
    const claimedAt = performance.now();
    const rows = await d.store.claimDue(d.nodeId, d.leaseMs, maxInFlight - pending, perAccount);
    pending += rows.length;
    inFlight += rows.length;
    for (const row of rows) {
      const q = queues.get(row.provider) ?? new FairQueue();
      q.push(row.account_id, { row, claimedAt });
      queues.set(row.provider, q);
    }
    for (const p of new Set(rows.map((r) => r.provider))) pump(p);
    return rows.length;
  }

  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleResolvers.push(r)));

  async function tick(): Promise<void> {
    if (stopped) return;
    if (ticking) {
      // Woken while claiming (an import, or capacity freed): the claim on its way may have
      // missed it; look again right after.
      tickAgain = true;
      return;
    }
    ticking = true;
    tickAgain = false;
    let backoff = 0;
    try {
      while (!stopped && (await claimOnce()) > 0);
      if (failures > 0) d.log.info({ failures }, 'claiming due credentials works again');
      failures = 0;
      loggedCause = undefined;
    } catch (err) {
      failures += 1;
      // Back off (up to 30 s) while the database is away; log the cause once per outage.
      backoff = Math.min(idleMs * 2 ** Math.min(failures, 5), 30_000);
      const cause = isStorageUnavailable(err)
        ? `database unavailable (${unavailableCause(err)})`
        : err instanceof Error
          ? err.name
          : 'unknown';
      if (loggedCause === undefined) {
        loggedCause = cause;
        d.log.error(
          { cause, retry_in_ms: backoff },
          'claiming due credentials failed; backing off until it works again',
        );
      } else {
        d.log.debug({ cause, retry_in_ms: backoff }, 'claiming due credentials still fails');
      }
    } finally {
      ticking = false;
      schedule(backoff > 0 ? backoff : tickAgain ? 0 : idleMs);
    }
  }

  /** Ticks in `ms`, unless a tick is already due sooner (a wake is never postponed). */
  function schedule(ms: number): void {
    if (stopped) return;
    const at = performance.now() + ms;
    if (timer && at >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Infinity;
      void tick();
    }, ms);
    timer.unref();
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** A credential became due: look now instead of at the next idle tick. */
    wake(): void {
      schedule(0);
    },
    /** Runs one claim pass and waits for the work it started (tests and benchmarks). */
    async drain(): Promise<void> {
      for (;;) {
        const claimed = await claimOnce();
        await idle();
        if (claimed === 0) return;
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      await idle();
    },
    stats: () => ({ inFlight, checked }),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
