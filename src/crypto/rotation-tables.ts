/**
 * Where secret envelopes live, for key rotation (docs/security.md C4): one descriptor per table, and
 * the SQL that pages through rows holding an envelope not under the primary key and writes them
 * back behind an optimistic guard (the secret columns must still hold what was read).
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../store/db.js';
import {
  type SecretPlace,
  type SecretTable,
  credentialSecretPlace,
  idempotencyResponsePlace,
  oauthAppSecretPlace,
  serverSecretPlace,
  webhookEndpointSecretPlace,
} from './places.js';

export type { SecretTable } from './places.js';

/** A secret column: one envelope (text, maybe null) or a jsonb map of name -> envelope. */
interface SecretColumn {
  name: string;
  map: boolean;
}

export interface TableDesc {
  name: SecretTable;
  /** Primary key columns in index order, with their SQL types (keyset paging, guarded write). */
  key: ReadonlyArray<{ col: string; type: 'uuid' | 'text' }>;
  /** Other columns the AAD place needs. */
  extra: readonly string[];
  cols: readonly SecretColumn[];
  /** The AAD place of one envelope (must match what the writing service used). */
  place(row: RowData, col: string, mapKey: string | undefined): SecretPlace;
}

export type RowData = Record<string, unknown>;
export type ColValue = string | null | Record<string, string>;

export function text(row: RowData, col: string): string {
  const v = row[col];
  if (typeof v !== 'string') throw new TypeError(`column ${col} is not text`);
  return v;
}

/** A secret column's value as read: pg and PGlite both parse jsonb into objects. */
export function colValue(row: RowData, col: SecretColumn): ColValue {
  const v = row[col.name];
  if (v === null || v === undefined) return null;
  if (!col.map) return text(row, col.name);
  const obj: unknown = typeof v === 'string' ? JSON.parse(v) : v;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
    throw new TypeError(`column ${col.name} is not a JSON object`);
  const out: Record<string, string> = {};
  for (const [k, e] of Object.entries(obj)) if (typeof e === 'string') out[k] = e;
  return out;
}

export const TABLES: readonly TableDesc[] = [
  {
    name: 'server_secrets',
    key: [{ col: 'name', type: 'text' }],
    extra: [],
    cols: [{ name: 'envelope', map: false }],
    place: (r) => serverSecretPlace(text(r, 'name')),
  },
  {
    name: 'oauth_apps',
    key: [{ col: 'id', type: 'uuid' }],
    extra: ['account_id'],
    cols: [
      { name: 'client_secret', map: false },
      { name: 'settings_secrets', map: true },
    ],
    place: (r, col, k) =>
      oauthAppSecretPlace(
        text(r, 'account_id'),
        text(r, 'id'),
        col === 'client_secret' ? 'client_secret' : `settings.${k ?? ''}`,
      ),
  },
  {
    name: 'credentials',
    key: [{ col: 'id', type: 'uuid' }],
    extra: ['account_id', 'provider', 'identity'],
    // cached_token: a minted or refreshed access token kept sealed (health/secrets.ts), at the
    // field name credentialSecretPlace() documents for it.
    cols: [
      { name: 'secrets', map: true },
      { name: 'cached_token', map: false },
    ],
    place: (r, col, k) =>
      credentialSecretPlace(
        text(r, 'account_id'),
        text(r, 'provider'),
        text(r, 'identity'),
        col === 'cached_token' ? 'cached_token' : (k ?? ''),
      ),
  },
  {
    name: 'idempotency_keys',
    key: [
      { col: 'account_id', type: 'uuid' },
      { col: 'key', type: 'text' },
    ],
    extra: [],
    cols: [{ name: 'response_body', map: false }],
    place: (r) => idempotencyResponsePlace(text(r, 'account_id'), text(r, 'key')),
  },
  {
    name: 'webhook_endpoints',
    key: [{ col: 'id', type: 'uuid' }],
    extra: ['account_id'],
    cols: [
      { name: 'secret', map: false },
      { name: 'previous_secret', map: false },
    ],
    place: (r, col) =>
      webhookEndpointSecretPlace(
        text(r, 'account_id'),
        text(r, 'id'),
        col === 'previous_secret' ? 'previous_secret' : 'secret',
      ),
  },
];

const id = (name: string) => sql.id(name);
const kidOf = (e: RawBuilder<unknown>) => sql`split_part(${e}, '.', 2)`;

/** True for rows holding at least one envelope whose kid is not `primary`. */
function needsRewrap(t: TableDesc, primary: string): RawBuilder<unknown> {
  const parts = t.cols.map((c) =>
    c.map
      ? sql`exists (select 1 from jsonb_each_text(${id(c.name)}) e where ${kidOf(sql`e.value`)} <> ${primary})`
      : sql`(${id(c.name)} is not null and ${kidOf(sql`${id(c.name)}`)} <> ${primary})`,
  );
  return sql`(${sql.join(parts, sql` or `)})`;
}

const keyTuple = (t: TableDesc) => sql`(${sql.join(t.key.map((k) => id(k.col)))})`;
const keyValues = (t: TableDesc, key: readonly string[]) =>
  sql`(${sql.join(t.key.map((k, i) => sql`${key[i] ?? ''}::${sql.raw(k.type)}`))})`;
const selectList = (t: TableDesc) =>
  sql.join([...t.key.map((k) => k.col), ...t.extra, ...t.cols.map((c) => c.name)].map(id));

export function rowKey(t: TableDesc, row: RowData): string[] {
  return t.key.map((k) => text(row, k.col));
}

/** The next batch after `after` (key order) of rows needing a rewrap. */
export async function selectBatch(
  db: Db,
  t: TableDesc,
  primary: string,
  after: string[] | undefined,
  limit: number,
): Promise<RowData[]> {
  const cursor = after ? sql`and ${keyTuple(t)} > ${keyValues(t, after)}` : sql``;
  const order = sql.join(t.key.map((k) => id(k.col)));
  const res = await sql<RowData>`select ${selectList(t)} from ${id(t.name)}
    where ${needsRewrap(t, primary)} ${cursor} order by ${order} limit ${limit}`.execute(db);
  return res.rows;
}

/** The current state of these rows, for those that still need a rewrap. */
export async function reselect(db: Db, t: TableDesc, primary: string, keys: string[][]): Promise<RowData[]> {
  if (keys.length === 0) return [];
  const list = sql.join(keys.map((k) => keyValues(t, k)));
  const res = await sql<RowData>`select ${selectList(t)} from ${id(t.name)}
    where ${needsRewrap(t, primary)} and ${keyTuple(t)} in (${list})`.execute(db);
  return res.rows;
}

export interface RowWrite {
  key: string[];
  old: ColValue[];
  next: ColValue[];
}

function castValue(v: ColValue, map: boolean): RawBuilder<unknown> {
  if (map) return sql`${JSON.stringify(v)}::jsonb`;
  return sql`${v === null ? null : String(v)}::text`;
}

/**
 * One statement for the whole batch: each row is written only if every secret column still holds
 * exactly what was read (jsonb compares by value). Nothing else changes: not `version`, not
 * `updated_at`, so ETags stay valid. Returns the keys (joined) of the rows written.
 *
 * Rows are locked first, in key order, skipping rows another transaction holds (issue 13 R5): the
 * rewrap then never waits for a lock while holding others, so it cannot be part of a deadlock
 * with a bulk import locking the same rows in its own order. Skipped rows come back unwritten,
 * and the caller retries them like rows that changed.
 */
export async function writeBatch(db: Db, t: TableDesc, rows: readonly RowWrite[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const names = [...t.key.map((_k, i) => `k${i}`), ...t.cols.flatMap((_c, i) => [`o${i}`, `n${i}`])];
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${sql.join([
          ...t.key.map((k, i) => sql`${r.key[i] ?? ''}::${sql.raw(k.type)}`),
          ...t.cols.flatMap((c, i) => [castValue(r.old[i] ?? null, c.map), castValue(r.next[i] ?? null, c.map)]),
        ])})`,
    ),
  );
  const set = sql.join(t.cols.map((c, i) => sql`${id(c.name)} = v.${id(`n${i}`)}`));
  const match = [
    ...t.key.map((k, i) => sql`t.${id(k.col)} = v.${id(`k${i}`)}`),
    ...t.key.map((k) => sql`t.${id(k.col)} = l.${id(k.col)}`),
    ...t.cols.map((c, i) => sql`t.${id(c.name)} is not distinct from v.${id(`o${i}`)}`),
  ];
  const keyList = sql.join(rows.map((r) => keyValues(t, r.key)));
  const order = sql.join(t.key.map((k) => id(k.col)));
  const res = await sql<RowData>`with l as (
      select ${order} from ${id(t.name)} where ${keyTuple(t)} in (${keyList})
      order by ${order} for update skip locked
    )
    update ${id(t.name)} as t set ${set}
    from (values ${values}) as v(${sql.join(names.map(id))}), l
    where ${sql.join(match, sql` and `)}
    returning ${sql.join(t.key.map((k) => sql`t.${id(k.col)}`))}`.execute(db);
  return new Set(res.rows.map((row) => rowKey(t, row).join('\u0000')));
}

/**
 * Every envelope of every descriptor column, one row each: built from TABLES, so status,
 * rewrap and retire can never disagree about which columns hold envelopes.
 */
function allEnvelopes(): RawBuilder<unknown> {
  const parts = TABLES.flatMap((t) =>
    t.cols.map((c) =>
      c.map
        ? sql`select ${t.name}::text as t, e.value as env from ${id(t.name)}, jsonb_each_text(${id(c.name)}) e`
        : sql`select ${t.name}::text as t, ${id(c.name)} as env from ${id(t.name)} where ${id(c.name)} is not null`,
    ),
  );
  return sql.join(parts, sql` union all `);
}

/** Envelope counts per (table, kid) over every secret column; malformed envelopes count as kid "?". */
export async function countByKid(db: Db): Promise<Array<{ table: SecretTable; kid: string; n: number }>> {
  const res = await sql<{ t: SecretTable; kid: string; n: number }>`
    select t, case when split_part(env, '.', 1) = 'v1' then split_part(env, '.', 2) else '?' end as kid, count(*)::int as n
    from (${allEnvelopes()}) s group by 1, 2 order by 1, 2`.execute(db);
  return res.rows.map((r) => ({ table: r.t, kid: r.kid, n: Number(r.n) }));
}
