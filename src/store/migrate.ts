import { sql } from 'kysely';
import type { Db } from './db.js';
import { MIGRATIONS } from './migrations/index.js';

// Arbitrary constant: every credvault node takes the same advisory lock, so two nodes starting
// at once apply migrations one after the other; the second finds nothing left to do.
const MIGRATION_LOCK = 7_246_118_301;

/** Applies pending migrations in one transaction; returns the versions applied. */
export async function migrate(db: Db): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`create table if not exists credvault_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null)`.execute(trx);
    const done = await trx.selectFrom('credvault_migrations').select('version').execute();
    const applied = new Set(done.map((r) => r.version));
    const ran: number[] = [];
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      // PGlite's query() takes one statement at a time; our migrations have no bodies with ';'.
      for (const statement of m.sql.split(/;\s*\n/)) {
        const text = statement.replace(/^\s*--.*$/gm, '').trim();
        if (text) await sql.raw(text).execute(trx);
      }
      await trx
        .insertInto('credvault_migrations')
        .values({ version: m.version, name: m.name, applied_at: new Date() })
        .execute();
      ran.push(m.version);
    }
    return ran;
  });
}
