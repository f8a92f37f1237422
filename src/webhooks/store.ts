import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { leaseFree, leaseUntil } from '../store/lease.js';

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  attempts: number;
  event_id: string;
  event_type: string;
  /** The event's data as JSON text, put into the body as it is (no parse and stringify per delivery). */
  event_data: string;
  event_created_at: Date | string;
  endpoint_id: string;
  account_id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | string | null;
}

/** The outcome of one attempt, as the worker records it. */
export interface AttemptResult {
  delivery: ClaimedDelivery;
  attemptId: string;
  attemptedAt: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  excerpt: string | null;
  /** delivered, pending (retry at nextAttemptAt) or failed. */
  status: 'delivered' | 'pending' | 'failed';
  nextAttemptAt: Date | null;
}

/**
 * Claims due deliveries with leases, in one statement (the same lease machinery as the health
 * scheduler, store/lease.ts): per enabled endpoint at most `perEndpoint`, oldest event first,
 * `limit` in all, skipping rows another node holds (FOR UPDATE SKIP LOCKED) and endpoints in
 * `skip` (busy on this node).
 */
export async function claimDeliveries(
  db: Db,
  owner: string,
  leaseMs: number,
  perEndpoint: number,
  limit: number,
  now: Date,
  skip: readonly string[],
): Promise<ClaimedDelivery[]> {
  const res = await sql<ClaimedDelivery>`
    update webhook_deliveries as d
    set lease_owner = ${owner}, lease_expires_at = ${leaseUntil(leaseMs)}
    from (
      select x.id, x.event_id, w.id as endpoint_id, w.account_id, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at
      from webhook_endpoints w
      cross join lateral (
        select id, event_id from webhook_deliveries
        where endpoint_id = w.id and status = 'pending' and next_attempt_at <= ${now}::timestamptz and ${leaseFree}
        order by next_attempt_at, event_id
        limit ${perEndpoint}
        for update skip locked
      ) as x
      where w.enabled and not (w.id = any(${skip}::uuid[]))
      limit ${limit}
    ) as c
    join events e on e.id = c.event_id
    where d.id = c.id
    returning d.id, d.attempts, e.id as event_id, e.type as event_type, e.data::text as event_data, e.created_at as event_created_at,
      c.endpoint_id, c.account_id, c.url, c.secret, c.previous_secret, c.previous_secret_expires_at`.execute(db);
  return res.rows;
}

/** Renews the lease on a claimed delivery that waited in this node's queue; false when the lease is gone. */
export async function renewDelivery(db: Db, owner: string, id: string, leaseMs: number): Promise<boolean> {
  const row = await db
    .updateTable('webhook_deliveries')
    .set({ lease_expires_at: leaseUntil(leaseMs) })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Records a batch of attempts on `trx`: every attempt row, and each delivery's new state where
 * this node still holds its lease; then the endpoints' failure streaks (failing_since). Answers
 * the endpoints failing since before `disableBefore` (to disable).
 */
export async function recordAttempts(
  trx: Db,
  owner: string,
  results: readonly AttemptResult[],
  now: Date,
  disableBefore: Date,
): Promise<string[]> {
  if (results.length === 0) return [];
  const attempts = results.map((r) => ({
    id: r.attemptId,
    delivery_id: r.delivery.id,
    endpoint_id: r.delivery.endpoint_id,
    event_id: r.delivery.event_id,
    event_type: r.delivery.event_type,
    attempted_at: r.attemptedAt.toISOString(),
    status_code: r.statusCode,
    error: r.error,
    duration_ms: r.durationMs,
    response_excerpt: r.excerpt,
    status: r.status,
    attempts: r.delivery.attempts + 1,
    next_attempt_at: r.nextAttemptAt?.toISOString() ?? null,
  }));
  const rows = JSON.stringify(attempts);
  await sql`with a as (
      insert into webhook_attempts (id, delivery_id, endpoint_id, event_id, event_type, attempted_at, status_code, error, duration_ms, response_excerpt)
      select v.id, v.delivery_id, v.endpoint_id, v.event_id, v.event_type, v.attempted_at, v.status_code, v.error, v.duration_ms, v.response_excerpt
      from jsonb_to_recordset(${rows}::jsonb) as v(id uuid, delivery_id uuid, endpoint_id uuid, event_id uuid, event_type text, attempted_at timestamptz,
        status_code int4, error text, duration_ms int4, response_excerpt text)
      where exists (select 1 from webhook_deliveries d where d.id = v.delivery_id)
    )
    update webhook_deliveries as d
    set status = v.status, attempts = v.attempts, next_attempt_at = v.next_attempt_at, lease_owner = null, lease_expires_at = null
    from jsonb_to_recordset(${rows}::jsonb) as v(delivery_id uuid, status text, attempts int4, next_attempt_at timestamptz)
    where d.id = v.delivery_id and d.lease_owner = ${owner}`.execute(trx);
  const ok = [...new Set(results.filter((r) => r.status === 'delivered').map((r) => r.delivery.endpoint_id))];
  const bad = [...new Set(results.filter((r) => r.status !== 'delivered').map((r) => r.delivery.endpoint_id))].filter(
    (id) => !ok.includes(id),
  );
  if (ok.length > 0)
    await trx
      .updateTable('webhook_endpoints')
      .set({ failing_since: null })
      .where('id', 'in', ok)
      .where('failing_since', 'is not', null)
      .execute();
  if (bad.length === 0) return [];
  await trx
    .updateTable('webhook_endpoints')
    .set({ failing_since: now })
    .where('id', 'in', bad)
    .where('failing_since', 'is', null)
    .execute();
  const stale = await trx
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('id', 'in', bad)
    .where('enabled', '=', true)
    .where('failing_since', '<', disableBefore)
    .execute();
  return stale.map((r) => r.id);
}
