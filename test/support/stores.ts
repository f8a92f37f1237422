import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type StoreHandle, openStore } from '../../src/store/db.js';

export const STORE_KINDS = ['pglite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The PostgreSQL server tests use; .ci/run sets it and makes sure the server is up. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return url;
  if (process.env.CI) throw new Error('TEST_DATABASE_URL must be set in CI: PostgreSQL tests are never skipped.');
  return 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, empty PostgreSQL database; dropped by the returned cleanup. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = testDatabaseUrl();
  const name = `credvault_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return {
    url: withDatabase(admin, name),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestStore {
  kind: StoreKind;
  store: StoreHandle;
  /** postgres:// URL of the store, for child processes (postgres only). */
  url?: string;
  /** Directory of an on-disk PGlite (when asked for). */
  dataDir?: string;
  close(): Promise<void>;
}

/** Opens an empty store of the given kind: PGlite in memory (or on disk), or a fresh PostgreSQL database. */
export async function openTestStore(kind: StoreKind, opts: { dataDir?: string } = {}): Promise<TestStore> {
  if (kind === 'pglite') {
    const store = await openStore({ dataDir: opts.dataDir ?? 'memory://' });
    return { kind, store, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), close: () => store.close() };
  }
  const database = await createTestDatabase();
  const store = await openStore({ databaseUrl: database.url, poolSize: 10 });
  return {
    kind,
    store,
    url: database.url,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
