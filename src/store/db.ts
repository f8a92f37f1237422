import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
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
}

// int8 (bigint, count(*)) arrives as a string from pg; our counts fit in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openStore(opts: OpenStoreOptions): Promise<StoreHandle> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 20 });
    // A dropped idle connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
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
