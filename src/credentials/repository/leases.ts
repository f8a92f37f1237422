import { sql } from 'kysely';
import type { Db } from '../../store/db.js';
import { leaseFree, leaseUntil } from '../../store/lease.js';
import type { CredentialRow } from './columns.js';

/**
 * The leases of health work on credentials (src/store/lease.ts): the scheduler claims due rows,
 * renews the lease of rows waiting in its queue and lets go of rows it will not check; a manual
 * check or an access-token refresh takes one row. Lease times use the database clock, so nodes
 * with skewed clocks agree. The writes that end a leased piece of work are in results.ts.
 */
export function createCredentialLeases(db: Db) {
  return {
    /** Takes the lease on one credential; undefined when another worker holds it. */
    async acquire(id: string, owner: string, leaseMs: number): Promise<CredentialRow | undefined> {
      return db
        .updateTable('credentials')
        .set({ lease_owner: owner, lease_expires_at: leaseUntil(leaseMs) })
        .where('id', '=', id)
        .where(leaseFree)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Claims up to `limit` due credentials for this worker, fairly (issue 13 item 7): round-robin
     * across accounts (each account's most overdue row first, then each one's second...), and no
     * account beyond `perAccount` rows whose provider work is pending on this node, so one
     * tenant's backlog or hanging host cannot hold every slot (a cluster of n nodes gives one
     * account n × perAccount). `pending` (account id → rows this node claimed that are queued or
     * in their provider calls) comes from the claim loop, which alone knows which of its leases
     * are past their provider slot: a row whose result waits for its group commit still holds its
     * lease but no slot, and counting it starved a lone account's claims (docs/performance.md,
     * "Scheduler pipeline"). FOR UPDATE SKIP LOCKED makes concurrent claimers on other nodes
     * take other rows; the lease keeps them ours.
     */
    async claimDue(
      owner: string,
      leaseMs: number,
      limit: number,
      perAccount = limit,
      pending: ReadonlyMap<string, number> = new Map(),
    ): Promise<CredentialRow[]> {
      // statement_timestamp(), not clock_timestamp(): a stable value can bound the
      // credentials_account_due index scans, so they read only due rows.
      const res = await sql<CredentialRow>`
        update credentials set lease_owner = ${owner}, lease_expires_at = clock_timestamp() + ${`${leaseMs} milliseconds`}::interval
        where id in (
            select pick.id from (
              select d.id, d.next_check_at, busy.n, row_number() over (partition by a.id order by d.next_check_at) as rn
              from accounts a
              cross join lateral (
                select coalesce((${JSON.stringify(Object.fromEntries(pending))}::jsonb ->> a.id::text)::int, 0) as n
              ) busy
              cross join lateral (
                select x.id, x.next_check_at from credentials x
                where x.account_id = a.id and x.next_check_at <= statement_timestamp() and ${leaseFree}
                order by x.next_check_at limit ${perAccount}
                -- Skipped while scanning: a claim racing on another node takes the next rows.
                for update of x skip locked
              ) d
            ) pick
            where pick.rn <= ${perAccount} - pick.n
            order by pick.rn, pick.next_check_at
            limit ${limit}
        )
        returning *`.execute(db);
      return res.rows;
    },

    /** Renews a lease this worker holds (a claimed credential that waited in the queue); undefined if lost. */
    async renew(id: string, owner: string, leaseMs: number): Promise<CredentialRow | undefined> {
      return db
        .updateTable('credentials')
        .set({ lease_expires_at: leaseUntil(leaseMs) })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .returningAll()
        .executeTakeFirst();
    },

    /** Lets go of a claimed row without checking it, due again at `until` (a host backing off). */
    async defer(id: string, owner: string, until: Date): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ lease_owner: null, lease_expires_at: null, next_check_at: until })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    async release(id: string, owner: string): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },
  };
}
