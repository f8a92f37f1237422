import { type Selectable, sql } from 'kysely';
import type { Db } from '../store/db.js';
import type { CredentialsTable } from '../store/schema.js';

export type WorkRow = Selectable<CredentialsTable>;

/** The row changes a finished check or refresh writes, guarded by lease and version. */
export interface WorkResult {
  health?: Record<string, unknown>;
  healthStatus?: string;
  properties?: Record<string, unknown>;
  secrets?: Record<string, string>;
  identity?: string;
  tokenExpiresAt?: Date | null;
  cachedToken?: string | null;
  nextCheckAt?: Date | null;
  consecutiveFailures?: number;
}

/** SQL for health work. Lease times use the database clock so nodes with skewed clocks agree. */
export function createHealthStore(db: Db) {
  const leaseFree = sql<boolean>`(lease_owner is null or lease_expires_at < clock_timestamp())`;
  return {
    async get(id: string): Promise<WorkRow | undefined> {
      return db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Takes the lease on one credential; undefined when another worker holds it. */
    async acquire(id: string, owner: string, leaseMs: number): Promise<WorkRow | undefined> {
      return db
        .updateTable('credentials')
        .set({ lease_owner: owner, lease_expires_at: sql`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval` })
        .where('id', '=', id)
        .where(leaseFree)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Claims up to `limit` due credentials for this worker: FOR UPDATE SKIP LOCKED makes
     * concurrent claimers on other nodes take other rows; the lease keeps them ours.
     */
    async claimDue(owner: string, leaseMs: number, limit: number): Promise<WorkRow[]> {
      return db
        .updateTable('credentials')
        .set({ lease_owner: owner, lease_expires_at: sql`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval` })
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('credentials')
            .select('id')
            .where('next_check_at', '<=', sql<Date>`clock_timestamp()`)
            .where(leaseFree)
            .orderBy('next_check_at')
            .limit(limit)
            .forUpdate()
            .skipLocked(),
        )
        .returningAll()
        .execute();
    },

    /** Writes results if we still hold the lease and nobody re-imported meanwhile. */
    async write(id: string, owner: string, version: number, r: WorkResult, release: boolean): Promise<WorkRow | undefined> {
      return db
        .updateTable('credentials')
        .set({
          ...(r.health ? { health: JSON.stringify(r.health) } : {}),
          ...(r.healthStatus ? { health_status: r.healthStatus } : {}),
          ...(r.properties ? { properties: JSON.stringify(r.properties) } : {}),
          ...(r.secrets ? { secrets: JSON.stringify(r.secrets) } : {}),
          ...(r.identity ? { identity: r.identity } : {}),
          ...(r.tokenExpiresAt !== undefined ? { token_expires_at: r.tokenExpiresAt } : {}),
          ...(r.cachedToken !== undefined ? { cached_token: r.cachedToken } : {}),
          ...(r.nextCheckAt !== undefined ? { next_check_at: r.nextCheckAt } : {}),
          ...(r.consecutiveFailures !== undefined ? { consecutive_failures: r.consecutiveFailures } : {}),
          ...(release ? { lease_owner: null, lease_expires_at: null } : {}),
          version: sql<number>`version + 1`,
        })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .where('version', '=', version)
        .returningAll()
        .executeTakeFirst();
    },

    async release(id: string, owner: string): Promise<void> {
      await db.updateTable('credentials').set({ lease_owner: null, lease_expires_at: null }).where('id', '=', id).where('lease_owner', '=', owner).execute();
    },

    /** Makes a credential due now (after an import or a caller's health report). */
    async dueNow(id: string): Promise<void> {
      await db.updateTable('credentials').set({ next_check_at: sql`clock_timestamp()` }).where('id', '=', id).execute();
    },

    /** The credential of the account that already holds an identity, if any. */
    async holderOf(accountId: string, provider: string, identity: string): Promise<string | undefined> {
      const row = await db.selectFrom('credentials').select('id').where('account_id', '=', accountId).where('provider', '=', provider).where('identity', '=', identity).executeTakeFirst();
      return row?.id;
    },
  };
}

export type HealthStore = ReturnType<typeof createHealthStore>;

/** Renews a lease this worker holds (a claimed credential that waited in the queue); undefined if lost. */
export async function extendLease(db: Db, id: string, owner: string, leaseMs: number): Promise<WorkRow | undefined> {
  return db
    .updateTable('credentials')
    .set({ lease_expires_at: sql`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval` })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .returningAll()
    .executeTakeFirst();
}
