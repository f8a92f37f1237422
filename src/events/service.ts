import { sql } from 'kysely';
import { type Clock, iso } from '../lib/clock.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { Db } from '../store/db.js';
import type { EventView, ListEventsInput } from './schemas.js';

export interface EventServiceDeps {
  db: Db;
  clock: Clock;
  /** CREDVAULT_EVENT_RETENTION_DAYS */
  retentionDays: number;
}

type EventRow = { id: string; type: string; data: Record<string, unknown>; created_at: Date | string };

export function presentEvent(row: EventRow): EventView {
  return { id: row.id, type: row.type, created_at: iso(new Date(row.created_at)), data: row.data };
}

/** Cursor: the last id answered (ids sort by creation), opaque to callers. */
function encode(id: string): string {
  return Buffer.from(id).toString('base64url');
}
function decode(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) throw new ValidationError({ cursor: ['is not a cursor this API issued'] });
  return id;
}

/** Reading events (GET /v1/events) and their retention (docs/events.md, "Events"). */
export function createEventService({ db, clock, retentionDays }: EventServiceDeps) {
  return {
    async list(accountId: string, q: ListEventsInput): Promise<{ data: EventView[]; next_cursor: string | null }> {
      if (q.credential_id !== undefined && !isUuid(q.credential_id))
        throw new ValidationError({ credential_id: ['must be a UUID'] });
      const ascending = q.since !== undefined;
      let query = db
        .selectFrom('events')
        .select(['id', 'type', 'data', 'created_at'])
        .where('account_id', '=', accountId);
      if (q.type !== undefined) {
        const t = q.type;
        query = t.endsWith('.*')
          ? query.where(sql<boolean>`starts_with(type, ${t.slice(0, -1)})`)
          : query.where('type', '=', t);
      }
      if (q.credential_id !== undefined) {
        // The predicate is spelled as in the partial index events_credential_id (migration 016),
        // a literal rather than a parameter, so the planner can use that index.
        query = query
          .where(sql<boolean>`starts_with(type, 'credential.')`)
          .where(sql<string>`data->>'id'`, '=', q.credential_id);
      }
      if (q.since !== undefined) query = query.where('created_at', '>=', new Date(q.since));
      if (q.cursor !== undefined) query = query.where('id', ascending ? '>' : '<', decode(q.cursor));
      const rows = await query
        .orderBy('id', ascending ? 'asc' : 'desc')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { data: page.map(presentEvent), next_cursor: rows.length > q.limit && last ? encode(last.id) : null };
    },

    async get(accountId: string, id: string): Promise<EventView> {
      if (!isUuid(id)) throw new NotFoundError('event');
      const row = await db
        .selectFrom('events')
        .select(['id', 'type', 'data', 'created_at'])
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) throw new NotFoundError('event');
      return presentEvent(row);
    },

    /** Deletes events older than the retention (their deliveries and attempts go with them); answers how many. */
    async purgeExpired(): Promise<number> {
      const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000);
      const res = await db.deleteFrom('events').where('created_at', '<', cutoff).executeTakeFirst();
      return Number(res.numDeletedRows);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
