import { type RawBuilder, sql } from 'kysely';
import { uuidv7 } from '../lib/uuid7.js';
import { type QueryTemplate, compileTemplate } from '../lib/query-template.js';
import { type Db, runTemplate } from '../store/db.js';

/** Every event type (docs/events.md, "Types"); `webhook_endpoint.test` is only ever sent by `test`. */
export const EVENT_TYPES = [
  'credential.created',
  'credential.updated',
  'credential.deleted',
  'credential.health_changed',
  'credential.connected',
  'oauth_app.created',
  'oauth_app.updated',
  'oauth_app.deleted',
  'oauth_app.health_changed',
  'webhook_endpoint.disabled',
  'webhook_endpoint.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event to record: `data` is the object as the API presents it (secrets already masked). */
export interface NewEvent {
  accountId: string;
  type: EventType;
  data: Record<string, unknown>;
}

/**
 * The part of a statement that says whether endpoint `w` subscribes to event type `type`:
 * an empty filter takes everything; an entry is an exact type or `prefix.*`.
 */
export function subscribes(endpointTypes: RawBuilder<unknown>, type: RawBuilder<unknown>): RawBuilder<boolean> {
  return sql<boolean>`(cardinality(${endpointTypes}) = 0 or ${type} = any(${endpointTypes})
    or exists (select 1 from unnest(${endpointTypes}) as f(t) where right(f.t, 2) = '.*' and starts_with(${type}, left(f.t, -1))))`;
}

/**
 * The outbox as CTEs of a larger statement: `ev` inserts the events `rows` selects (columns id,
 * account_id, type, data, created_at) and `ev_deliveries` one pending delivery per (event,
 * subscribed enabled endpoint). A write whose event depends on what it wrote (the single
 * import's upsert, credentials/repository.ts) records both in ONE statement, its own transaction.
 */
export function eventCtes(rows: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`ev as (
      insert into events (id, account_id, type, data, created_at)
      ${rows}
      returning id, account_id, type, created_at
    ),
    ev_deliveries as (
      insert into webhook_deliveries (event_id, endpoint_id, status, next_attempt_at)
      select ev.id, w.id, 'pending', ev.created_at
      from ev join webhook_endpoints w on w.account_id = ev.account_id and w.enabled
      where ${subscribes(sql.ref('w.event_types'), sql.ref('ev.type'))}
    )`;
}

/** writeEvents' statement, compiled once (the SQL text is the same for every batch). */
let writeTemplate: QueryTemplate<never> | undefined;

/**
 * Records events, and one pending delivery per (event, subscribed enabled endpoint), in ONE
 * statement on `db`, which is the transaction of the change the events describe (the outbox:
 * a change that commits has its events, one that rolls back has none). Bulk writes pass a
 * whole batch. Answers the ids, in order.
 */
export async function writeEvents(db: Db, events: readonly NewEvent[], now: Date): Promise<string[]> {
  if (events.length === 0) return [];
  const at = now.toISOString();
  const rows = events.map((e) => ({
    id: uuidv7(now),
    account_id: e.accountId,
    type: e.type,
    data: e.data,
    created_at: at,
  }));
  writeTemplate ??= compileTemplate((param) => {
    const q = sql<never>`with ${eventCtes(
      sql`select e.id, e.account_id, e.type, e.data, e.created_at
      from jsonb_to_recordset(${param('rows')}::jsonb) as e(id uuid, account_id uuid, type text, data jsonb, created_at timestamptz)`,
    )} select 1 from ev limit 0`;
    return { compile: () => q.compile(db) };
  });
  await runTemplate(db, writeTemplate, { rows: JSON.stringify(rows) });
  return rows.map((r) => r.id);
}

/** What write paths receive: the event writer bound to their transaction. */
export type EventWriter = (events: readonly NewEvent[]) => Promise<unknown>;

/** The event writer of one transaction (or of `db` for a single statement that is its own transaction). */
export function eventWriter(db: Db, clock: { now(): Date }): EventWriter {
  return (events) => writeEvents(db, events, clock.now());
}
