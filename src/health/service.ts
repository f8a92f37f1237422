import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';
import { NotFoundError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { type LeaseDeps, singleFlight, withLease } from './lease.js';
import type { Runner } from './runner.js';
import type { HealthStore, WorkRow } from './store.js';

export interface HealthServiceDeps {
  store: HealthStore;
  runner: Runner;
  audit: AuditService;
  clock: Clock;
  nodeId: string;
  leaseMs: number;
  /** Wakes the scheduler (a credential became due). */
  wake?: () => void;
}

/** Reports of one credential trigger provider work (a check, a forced refresh) at most this often per node. */
export const REPORT_FLOOR_MS = 30_000;

const LAST_OK_EVERY_MS = 60_000;

/**
 * Checks on demand (check, health reports) and what proxied answers say about a credential.
 * Access tokens are the token path's (src/tokens/service.ts).
 */
export function createHealthService(d: HealthServiceDeps) {
  // In-process coalescing on top of the database lease: one check per credential per process.
  const coalesce = singleFlight<WorkRow>();
  const lease: LeaseDeps = { store: d.store, nodeId: d.nodeId, leaseMs: d.leaseMs };
  const check = (id: string, forceRefresh: boolean) =>
    coalesce(`check:${id}`, () =>
      withLease(
        lease,
        id,
        (row) => d.runner.work(row, { identify: true, forceRefresh }),
        () => true,
        (row) => row,
      ),
    );
  // When a report last triggered provider work, per credential (REPORT_FLOOR_MS).
  const reportWorkAt = new Map<string, number>();

  async function owned(accountId: string, id: string): Promise<WorkRow> {
    if (!isUuid(id)) throw new NotFoundError('credential');
    const row = await d.store.get(id);
    if (!row || row.account_id !== accountId) throw new NotFoundError('credential');
    return row;
  }

  const lastOk = new Map<string, number>();

  return {
    /** POST /v1/credentials/{id}/check: refresh when due, then ask the provider; answers the new state. */
    async checkNow(accountId: string, id: string): Promise<WorkRow> {
      await owned(accountId, id);
      return check(id, false);
    },

    /** A caller saw the provider refuse this credential: check at once. */
    async report(accountId: string, id: string, statusCode: number, actorTokenId: string | null): Promise<WorkRow> {
      const row = await owned(accountId, id);
      await d.audit.record({
        accountId,
        actorTokenId,
        action: 'credential.health_reported',
        credentialId: id,
        detail: { status_code: statusCode },
      });
      // A floor on the provider work reports trigger (a forced refresh each): a caller reporting
      // in a loop gets the current state instead of hammering the provider's token endpoint.
      const now = d.clock.now().getTime();
      const last = reportWorkAt.get(id);
      if (last !== undefined && now - last < REPORT_FLOOR_MS) return row;
      if (reportWorkAt.size > 100_000) reportWorkAt.clear();
      reportWorkAt.set(id, now);
      return check(id, statusCode === 401);
    },

    /** A proxied answer proved the credential works: `last_ok_at`, at most once a minute per credential. */
    /** The write when one is due, else undefined (no promise on the proxy's hot path). */
    noteWorked(id: string): Promise<void> | undefined {
      const now = d.clock.now();
      const last = lastOk.get(id);
      if (last !== undefined && now.getTime() - last < LAST_OK_EVERY_MS) return undefined;
      if (lastOk.size > 10_000) lastOk.clear();
      lastOk.set(id, now.getTime());
      return d.store.noteLastOk(id, now);
    },

    /** Called after an import: the credential is due now, and the scheduler is woken. */
    async scheduleSoon(id: string): Promise<void> {
      await d.store.dueNow(id);
      d.wake?.();
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
