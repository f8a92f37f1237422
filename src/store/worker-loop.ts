import type { Logger } from 'pino';
import { isStorageUnavailable, unavailableCause } from './availability.js';

/**
 * The claim loop every background worker that claims leased rows shares (the health scheduler,
 * the webhook delivery worker; docs/architecture.md, "Background work"): claim a batch with a
 * lease (store/lease.ts), queue it per group, work at most `perGroup` items of a group at once,
 * renew the lease of an item that waited, claim again once half the capacity is free, back off
 * while idle or while the database is away, and stop cleanly (the work started is awaited; a
 * node killed instead leaves its leases to expire, and another node claims the rows again).
 */
export interface WorkerLoopOptions<T> {
  log: Logger;
  /** What is claimed, for logs: "due credentials", "webhook deliveries". */
  what: string;
  /** Most items claimed and not yet settled on this node at once. */
  maxInFlight: number;
  /** Items worked at once per group (a provider, an endpoint). */
  perGroup: number;
  groupOf(item: T): string;
  /** Within a group, queued items are served round-robin across these keys (default: one FIFO). */
  fairKeyOf?(item: T): string;
  /** A group with this many items queued locally is left out of claims until it drains (default: never). */
  busyAt?: number;
  /** How often to look for due rows when idle (and the first backoff when claims fail). */
  idleMs: number;
  /**
   * After a claim that came back with some but fewer than `fullBatch` items, the next claim waits this
   * long (default 0: claim again at once): rows arriving one by one (deliveries of a stream of
   * imports) are then claimed, worked and recorded in batches instead of one statement each.
   */
  gatherMs?: number;
  /** A claim with at least this many items means a backlog: claim again at once. */
  fullBatch?: number;
  /**
   * Claims up to `limit` due rows with a lease, leaving out the groups in `busy`. `pending` counts,
   * per fair key, the items claimed and not yet past their slot (queued or in their outside call):
   * what a per-key allowance bounds. An item past its slot whose result is still being written
   * holds its lease but no slot, and is not in it.
   */
  claim(limit: number, busy: readonly string[], pending: ReadonlyMap<string, number>): Promise<T[]>;
  /** An item that waited in its queue longer than this has its lease renewed before it is worked. */
  renewAfterMs: number;
  /** Renews the lease of a claimed item (and reads it again); undefined when the lease was lost. */
  renew(item: T): Promise<T | undefined>;
  /**
   * Works one item; resolves once it is settled (its result written, its lease released).
   * `slotDone` frees the group's slot earlier (the outside call is over, the result is still
   * being written): the lease stays counted in `inFlight` until the promise settles.
   */
  run(item: T, slotDone: () => void): Promise<void>;
}

/**
 * Items of one group waiting for a slot, served round-robin across their fair keys (issue 13
 * item 7): a key with a thousand items queued delays another key's first item by at most one
 * item per slot.
 */
class FairQueue<T> {
  private byKey = new Map<string, T[]>();
  push(key: string, item: T): void {
    const q = this.byKey.get(key);
    if (q) q.push(item);
    else this.byKey.set(key, [item]);
  }
  shift(): T | undefined {
    for (const [key, q] of this.byKey) {
      const item = q.shift();
      // Next turn goes to the following key: this one moves to the back.
      this.byKey.delete(key);
      if (q.length > 0) this.byKey.set(key, q);
      if (item !== undefined) return item;
    }
    return undefined;
  }
  get length(): number {
    let n = 0;
    for (const q of this.byKey.values()) n += q.length;
    return n;
  }
}

export function createWorkerLoop<T>(o: WorkerLoopOptions<T>) {
  // Claims refill in batches: only once no more than half the capacity is in use.
  const lowWater = Math.floor(o.maxInFlight / 2);
  const fairKeyOf = o.fairKeyOf ?? (() => '');
  const running = new Map<string, number>();
  /** Claimed items waiting for a slot of their group, with when their claim was sent. */
  const queues = new Map<string, FairQueue<{ item: T; claimedAt: number }>>();
  /** Claimed and not yet past their slot (what claims refill). */
  let pending = 0;
  /** The same, per fair key (what a per-key allowance counts; keys at 0 are dropped). */
  const pendingByKey = new Map<string, number>();
  const addPending = (key: string, n: number) => {
    const left = (pendingByKey.get(key) ?? 0) + n;
    if (left > 0) pendingByKey.set(key, left);
    else pendingByKey.delete(key);
  };
  /** Claimed and not yet settled: leases this node holds. */
  let inFlight = 0;
  let done = 0;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let ticking = false;
  let tickAgain = false;
  let idleResolvers: Array<() => void> = [];
  /** Consecutive failed claims, and the cause last logged (logged once, not on every retry). */
  let failures = 0;
  let loggedCause: string | undefined;
  /** No claim from a tick before this time (performance.now()): the last claim was partial (gatherMs). */
  let notBefore = 0;

  const isBusy = (group: string) => o.busyAt !== undefined && (queues.get(group)?.length ?? 0) >= o.busyAt;

  function pump(group: string): void {
    const q = queues.get(group);
    if (!q) return;
    while ((running.get(group) ?? 0) < o.perGroup && q.length > 0) {
      const next = q.shift();
      if (!next) break;
      running.set(group, (running.get(group) ?? 0) + 1);
      let holding = true;
      const key = fairKeyOf(next.item);
      const slotDone = () => {
        if (!holding) return;
        holding = false;
        running.set(group, (running.get(group) ?? 1) - 1);
        pending -= 1;
        addPending(key, -1);
        pump(group);
        if (pending <= lowWater && !isBusy(group)) schedule(0);
      };
      void work(next.item, next.claimedAt, slotDone).finally(() => {
        slotDone();
        inFlight -= 1;
        done += 1;
        // A lease let go may be what held a claim back (a per-account allowance): claim again.
        if (pending <= lowWater) schedule(0);
        if (inFlight === 0) {
          for (const r of idleResolvers) r();
          idleResolvers = [];
        }
      });
    }
    if (q.length === 0) queues.delete(group);
  }

  async function work(claimed: T, claimedAt: number, slotDone: () => void): Promise<void> {
    try {
      // A claim that waited past `renewAfterMs` in its queue may be near its lease's end: renew
      // it first (and work the row as it is now); one whose lease is gone is another node's.
      const item = performance.now() - claimedAt < o.renewAfterMs ? claimed : await o.renew(claimed);
      if (item === undefined) return;
      await o.run(item, slotDone);
    } catch (err) {
      // run answers its own expected failures: this is a failed renewal or a bug. The lease
      // expires and the row is claimed again.
      o.log.warn(
        { err: { type: err instanceof Error ? err.name : 'unknown' } },
        `working one of the claimed ${o.what} failed; its lease expires and it is claimed again`,
      );
    }
  }

  /** Claims up to free capacity and queues what it got; answers how many. */
  async function claimOnce(): Promise<number> {
    if (pending > lowWater) return 0;
    const claimedAt = performance.now();
    const busy = o.busyAt === undefined ? [] : [...queues.keys()].filter(isBusy);
    const items = await o.claim(o.maxInFlight - pending, busy, pendingByKey);
    // An empty claim waits for idleMs or a wake as always; a partial one waits gatherMs.
    if (o.gatherMs && items.length > 0 && items.length < (o.fullBatch ?? Infinity))
      notBefore = performance.now() + o.gatherMs;
    pending += items.length;
    inFlight += items.length;
    for (const item of items) {
      const group = o.groupOf(item);
      const q = queues.get(group) ?? new FairQueue();
      const key = fairKeyOf(item);
      addPending(key, 1);
      q.push(key, { item, claimedAt });
      queues.set(group, q);
    }
    for (const g of new Set(items.map((i) => o.groupOf(i)))) pump(g);
    return items.length;
  }

  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleResolvers.push(r)));

  async function tick(): Promise<void> {
    if (stopped) return;
    if (ticking) {
      // Woken while claiming (new rows, or capacity freed): the claim on its way may have
      // missed them; look again right after.
      tickAgain = true;
      return;
    }
    ticking = true;
    tickAgain = false;
    let backoff = 0;
    /** Stopped by gatherMs, not by an empty claim: look again once the wait is over. */
    let gated = false;
    try {
      while (!stopped) {
        if (performance.now() < notBefore) {
          gated = true;
          break;
        }
        if ((await claimOnce()) === 0) break;
      }
      if (failures > 0) o.log.info({ failures }, `claiming ${o.what} works again`);
      failures = 0;
      loggedCause = undefined;
    } catch (err) {
      failures += 1;
      // Back off (up to 30 s) while the database is away; log the cause once per outage.
      backoff = Math.min(o.idleMs * 2 ** Math.min(failures, 5), 30_000);
      const cause = isStorageUnavailable(err)
        ? `database unavailable (${unavailableCause(err)})`
        : err instanceof Error
          ? err.name
          : 'unknown';
      if (loggedCause === undefined) {
        loggedCause = cause;
        o.log.error({ cause, retry_in_ms: backoff }, `claiming ${o.what} failed; backing off until it works again`);
      } else {
        o.log.debug({ cause, retry_in_ms: backoff }, `claiming ${o.what} still fails`);
      }
    } finally {
      ticking = false;
      schedule(backoff > 0 ? backoff : tickAgain || gated ? 0 : o.idleMs);
    }
  }

  /** Ticks in `ms`, unless a tick is already due sooner (a wake is never postponed). */
  function schedule(wanted: number): void {
    if (stopped) return;
    const ms = Math.max(wanted, notBefore - performance.now());
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
    /** New rows are due: look now instead of at the next idle tick. */
    wake(): void {
      schedule(0);
    },
    /** Claims and works until nothing is due (tests and benchmarks). */
    async drain(): Promise<void> {
      for (;;) {
        const claimed = await claimOnce();
        await idle();
        if (claimed === 0) return;
      }
    },
    /** Stops claiming and waits for the work already claimed. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      await idle();
    },
    stats: () => ({ inFlight, done }),
  };
}

export type WorkerLoop = ReturnType<typeof createWorkerLoop>;
