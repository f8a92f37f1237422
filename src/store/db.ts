import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Logger } from 'pino';
import { type QueryTemplate, bindTemplate, templateParameters } from '../lib/query-template.js';
import type { Database } from './schema.js';
import { StorageUnavailableError, isStorageUnavailable, unavailableCause } from './availability.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';

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
  /** PostgreSQL: how long opening a connection (TCP and start-up) may take; 0 = no limit. */
  connectTimeoutMs?: number;
  /** PostgreSQL: how long the client waits for a query's answer before giving up on it; 0 = no limit. */
  queryTimeoutMs?: number;
  /** PostgreSQL: the server's statement_timeout for our sessions; 0 = no limit. */
  statementTimeoutMs?: number;
  /**
   * PostgreSQL: how long opening waits for the server to answer (retrying with backoff, logging
   * what it waits for) before failing with a clear message. 0 = try once.
   */
  startupWaitMs?: number;
  /** Where start-up waiting is reported (default: stderr lines). */
  log?: Pick<Logger, 'warn' | 'info'>;
}

/** The store options every command derives from the configuration (serve, migrate, keys ...). */
export function storeOptions(config: {
  databaseUrl: string | undefined;
  dataDir: string;
  preparedStatements: boolean;
  dbConnectTimeoutMs: number;
  dbQueryTimeoutMs: number;
  dbStatementTimeoutMs: number;
  dbStartupWaitSeconds: number;
}): OpenStoreOptions {
  return {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    preparedStatements: config.preparedStatements,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    queryTimeoutMs: config.dbQueryTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    startupWaitMs: config.dbStartupWaitSeconds * 1000,
  };
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
        // A connection that timed out or broke is dropped, not handed to the next request.
        release(err && isStorageUnavailable(err) ? err : undefined);
        if (err) reject(err);
        else resolve(rows);
      };
      try {
        // Built from the text and then named: from a config object pg would first clone it
        // with property descriptors, which costs more per request than the rest of the call.
        const query = new pg.Query(text, values, (err, res) => {
          if (err && preparedStatementUnusable(err)) {
            client.query(text, values, (retryError: Error | undefined, retry: pg.QueryResult) =>
              finish(retryError, retryError ? [] : (retry.rows as O[])),
            );
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
export function runTemplate<O>(
  db: Db,
  template: QueryTemplate<O>,
  values: Readonly<Record<string, unknown>>,
): Promise<O[]> {
  const pool = preparingPools.get(db);
  if (!pool) return db.executeQuery(bindTemplate(template, values)).then((result) => result.rows);
  return queryPrepared<O>(pool, template.name, template.sql, templateParameters(template, values));
}

/**
 * Hands Kysely pg clients whose release drops the connection when a query on it failed as
 * unavailable: after a client-side query timeout pg keeps the connection with the abandoned
 * query still running on it, and the next request would queue behind it.
 */
function droppingBrokenConnections(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (raw: pg.PoolClient): PostgresPoolClient => {
    let broken = false;
    const query = ((...args: unknown[]) => {
      const result = (raw.query as (...a: unknown[]) => unknown)(...args);
      if (!(result instanceof Promise)) return result;
      return result.catch((err: unknown) => {
        if (isStorageUnavailable(err)) broken = true;
        throw err;
      });
    }) as PostgresPoolClient['query'];
    const release = () => {
      const drop = broken;
      broken = false;
      raw.release(drop ? new Error('connection dropped after a failure') : undefined);
    };
    return { query, release };
  };
  return {
    async connect() {
      const raw = await pool.connect();
      let client = wrappers.get(raw);
      if (!client) {
        client = wrap(raw);
        wrappers.set(raw, client);
      }
      return client;
    },
    end: () => pool.end(),
  };
}

/** Where a postgres:// URL points, without credentials (for logs and messages). */
function serverName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

/** Waits until PostgreSQL answers `select 1`, retrying with backoff until `waitMs` has passed. */
async function waitForServer(db: Db, url: string, waitMs: number, log: OpenStoreOptions['log']): Promise<void> {
  const deadline = Date.now() + waitMs;
  let delay = 250;
  for (;;) {
    try {
      await sql`select 1`.execute(db);
      return;
    } catch (err) {
      if (!isStorageUnavailable(err)) throw err;
      const left = deadline - Date.now();
      const cause = unavailableCause(err);
      if (left <= 0) {
        throw new StorageUnavailableError(
          `PostgreSQL at ${serverName(url)} did not answer within ${Math.round(waitMs / 1000)} s (last error: ${cause}). Check DATABASE_URL and that the server is running; CREDVAULT_DB_STARTUP_WAIT_SECONDS sets how long to wait.`,
        );
      }
      const wait = Math.min(delay, left);
      const line = `waiting for PostgreSQL at ${serverName(url)} (${cause}); retrying in ${(wait / 1000).toFixed(1)} s, giving up in ${Math.ceil(left / 1000)} s`;
      if (log) log.warn({ server: serverName(url), cause }, line);
      else process.stderr.write(`${line}\n`);
      await new Promise((r) => setTimeout(r, wait));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

export async function openStore(opts: OpenStoreOptions): Promise<StoreHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 20,
      keepAlive: true,
      ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
      ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs } : {}),
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
    });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    // Nor may one dropped while checked out: pg-pool removes its own listener from a client it
    // hands out, and an 'error' event with no listener kills the process (a PostgreSQL restart
    // under load did). The query running on it fails on its own and answers 503.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: droppingBrokenConnections(pool) }) });
    if (opts.preparedStatements !== false) preparingPools.set(db, pool);
    try {
      await waitForServer(db, opts.databaseUrl, opts.startupWaitMs ?? 0, opts.log);
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw err;
    }
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  const dir = opts.dataDir ?? './.credvault';
  let client: PGlite;
  let dataPath: string | undefined;
  let lock: DataDirLock | undefined;
  if (dir === 'memory://') {
    client = new PGlite();
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // One process per data directory: PGlite is single-process, two openers corrupt it.
    lock = lockDataDir(dir);
    dataPath = join(dir, 'pgdata');
    try {
      client = new PGlite(dataPath);
      await client.waitReady;
    } catch (err) {
      lock.release();
      throw err;
    }
  }
  await client.waitReady;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    kind: 'pglite',
    ...(dataPath ? { dataPath } : {}),
    async close() {
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}

/** True when the database answers within `timeoutMs`; used by /readyz. */
export async function pingStore(db: Db, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([
      sql`select 1`.execute(db).then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
