import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { type QueryTemplate, bindTemplate, templateParameters } from '../lib/query-template.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface StoreHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Where the embedded database lives (pglite on disk only). */
  dataPath?: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Directory for the embedded database; `memory://` keeps it in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
  /**
   * Run the hot queries (query templates, see runTemplate) as named prepared statements:
   * PostgreSQL then parses and plans them once per connection instead of on every request.
   * Default on; turn off behind a pooler that cannot keep them (PgBouncer in transaction mode
   * before 1.21).
   */
  preparedStatements?: boolean;
}

// int8 (bigint, count(*)) arrives as a string from pg; our counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

/** Pools whose Kysely instance runs templates as named prepared statements (see runTemplate). */
const preparingPools = new WeakMap<Db, pg.Pool>();

/** A prepared statement the server no longer has or can no longer use as prepared. */
function preparedStatementUnusable(err: unknown): boolean {
  if (!(err instanceof Error) || !('code' in err)) return false;
  const { code } = err as { code?: unknown };
  return code === '26000' || code === '42P05' || (code === '0A000' && /cached plan/i.test(err.message));
}

/**
 * Runs `text` as the prepared statement `name` on a pooled connection: callback-style end to
 * end, so a query costs one promise rather than a chain of them.
 */
function queryPrepared<O>(pool: pg.Pool, name: string, text: string, values: unknown[]): Promise<O[]> {
  return new Promise<O[]>((resolve, reject) => {
    pool.connect((connectError, client, release) => {
      if (connectError || !client) {
        reject(connectError ?? new Error('The pool gave no connection.'));
        return;
      }
      const finish = (err: Error | undefined, rows: O[]) => {
        release();
        if (err) reject(err);
        else resolve(rows);
      };
      try {
        // Built from the text and then named: from a config object pg would first clone it
        // with property descriptors, which costs more per request than the rest of the call.
        const query = new pg.Query(text, values, (err, res) => {
          if (err && preparedStatementUnusable(err)) {
            client.query(text, values, (retryError: Error | undefined, retry: pg.QueryResult) => finish(retryError, retryError ? [] : (retry.rows as O[])));
            return;
          }
          finish(err, err ? [] : (res.rows as O[]));
        });
        Object.assign(query, { name });
        client.query(query);
      } catch (err) {
        finish(err instanceof Error ? err : new Error(String(err)), []);
      }
    });
  });
}

/**
 * Runs a query template (lib/query-template) with `values`. On PostgreSQL it goes straight to
 * the pool as a named prepared statement: the server parses and plans it once per connection
 * instead of on every request, and Kysely's executor layers are skipped. If the server cannot
 * use the prepared statement (a pooler switched connections, DDL changed its result), the
 * query runs unnamed. Elsewhere (PGlite, prepared statements off) it runs through Kysely.
 */
export function runTemplate<O>(db: Db, template: QueryTemplate<O>, values: Readonly<Record<string, unknown>>): Promise<O[]> {
  const pool = preparingPools.get(db);
  if (!pool) return db.executeQuery(bindTemplate(template, values)).then((result) => result.rows);
  return queryPrepared<O>(pool, template.name, template.sql, templateParameters(template, values));
}

export async function openStore(opts: OpenStoreOptions): Promise<StoreHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 20 });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    if (opts.preparedStatements !== false) preparingPools.set(db, pool);
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = opts.dataDir ?? './.credvault';
  let client: PGlite;
  let dataPath: string | undefined;
  if (dir === 'memory://') {
    client = new PGlite();
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    dataPath = join(dir, 'pgdata');
    client = new PGlite(dataPath);
  }
  await client.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return { db, kind: 'pglite', ...(dataPath ? { dataPath } : {}), close: () => db.destroy() };
}

/** True when the database answers; used by /readyz. */
export async function pingStore(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
