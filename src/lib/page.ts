import { type SelectQueryBuilder, sql } from 'kysely';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ValidationError } from './errors.js';

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Keyset pagination newest first over a table with `created_at` and `id`.
 * The query must already be filtered to the caller's account.
 */
export async function paginate<DB, TB extends keyof DB, O extends { created_at: Date | string; id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  table: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ rows: O[]; next_cursor: string | null }> {
  let q = query;
  if (cursor) {
    const pos = decodeCursor(cursor);
    if (!pos) throw new ValidationError({ cursor: ['is not a cursor this API issued'] });
    q = q.where(
      sql<boolean>`(${sql.ref(`${table}.created_at`)}, ${sql.ref(`${table}.id`)}) < (${pos.createdAt}, ${pos.id})`,
    );
  }
  const rows = await q
    .orderBy(sql.ref(`${table}.created_at`), 'desc')
    .orderBy(sql.ref(`${table}.id`), 'desc')
    .limit(limit + 1)
    .execute();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    next_cursor:
      rows.length > limit && last ? encodeCursor({ createdAt: new Date(last.created_at), id: last.id }) : null,
  };
}
