import type { Logger } from 'pino';
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
  /** Most claimed credentials held by this node at once. */
  maxInFlight?: number;
  /** How often to look for due credentials when idle. */
  idleMs?: number;
}

/**
 * Periodic checks: claims due credentials with leases (any number of nodes can run this on one
 * PostgreSQL) and works them with bounded concurrency per provider. A tick reads only due rows.
 */
export function createScheduler(d: SchedulerDeps) {
  const maxInFlight = d.maxInFlight ?? Math.max(d.perProvider * 4, 32);
  const idleMs = d.idleMs ?? 1000;
  const running = new Map<string, number>();
  const queues = new Map<string, WorkRow[]>();
  let inFlight = 0;
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let idleResolvers: Array<() => void> = [];
  let checked = 0;

  function pump(provider: string): void {
    const q = queues.get(provider) ?? [];
    while ((running.get(provider) ?? 0) < d.perProvider && q.length > 0) {
      const row = q.shift();
      if (!row) break;
      running.set(provider, (running.get(provider) ?? 0) + 1);
      void runOne(row).finally(() => {
        running.set(provider, (running.get(provider) ?? 1) - 1);
        inFlight -= 1;
        checked += 1;
        pump(provider);
        if (inFlight === 0) {
          for (const r of idleResolvers) r();
          idleResolvers = [];
        }
        schedule(0);
      });
    }
  }

  async function runOne(claimed: WorkRow): Promise<void> {
    try {
      // It may have waited in the queue: renew the lease (and read the latest row) before working.
      const row = await d.extend(claimed.id);
      if (!row) return;
      await d.runner.work(row, { identify: true });
    } catch (err) {
      d.log.error({ credential_id: claimed.id, err: { type: err instanceof Error ? err.name : 'unknown', stack: err instanceof Error ? err.stack : undefined } }, 'health check failed');
      await d.store.release(claimed.id, d.nodeId).catch(() => undefined);
    }
  }

  /** Claims due credentials up to free capacity and queues them; answers how many. */
  async function claimOnce(): Promise<number> {
    if (inFlight >= maxInFlight) return 0;
    const rows = await d.store.claimDue(d.nodeId, d.leaseMs, maxInFlight - inFlight);
    inFlight += rows.length;
    for (const row of rows) {
      const q = queues.get(row.provider) ?? [];
      q.push(row);
      queues.set(row.provider, q);
    }
    for (const p of new Set(rows.map((r) => r.provider))) pump(p);
    return rows.length;
  }

  const idle = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((r) => idleResolvers.push(r)));

  async function tick(): Promise<void> {
    if (ticking || stopped) return;
    ticking = true;
    try {
      while (!stopped && (await claimOnce()) > 0);
    } catch (err) {
      d.log.error({ err: { type: err instanceof Error ? err.name : 'unknown' } }, 'claiming due credentials failed');
    } finally {
      ticking = false;
      schedule(idleMs);
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void tick(), ms);
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
      await idle();
    },
    stats: () => ({ inFlight, checked }),
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
