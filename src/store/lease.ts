import { sql } from 'kysely';

/**
 * Row leases shared by every background worker that claims rows (the health scheduler, the
 * webhook delivery worker): a row is claimed with `FOR UPDATE SKIP LOCKED` and stamped with an
 * owner and an expiry, so any number of nodes on one PostgreSQL take different rows, and a node
 * killed mid-work leaves its rows to be claimed again once the lease expires. Lease times use
 * the database clock, so nodes with skewed clocks agree.
 */

/** True when no live lease holds the row (never leased, released, or expired). */
export const leaseFree = sql<boolean>`(lease_owner is null or lease_expires_at < clock_timestamp())`;

/** The expiry of a lease taken now for `leaseMs`. */
export function leaseUntil(leaseMs: number) {
  return sql<Date>`clock_timestamp() + ${`${leaseMs} milliseconds`}::interval`;
}
