/**
 * Store options from the environment: CREDVAULT_PREPARED_STATEMENTS (PgBouncer in transaction
 * mode cannot keep named prepared statements) and CREDVAULT_DB_POOL_SIZE.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createRuntime } from '../../src/main.js';
import { openStore } from '../../src/store/db.js';
import { BOOTSTRAP_TOKEN, testConfig } from '../support/harness.js';
import { createTestDatabase } from '../support/stores.js';

describe('store options from the environment', () => {
  it('parses CREDVAULT_PREPARED_STATEMENTS and CREDVAULT_DB_POOL_SIZE, refusing bad values by name', () => {
    expect(loadConfig({}).preparedStatements).toBe(true);
    expect(loadConfig({}).dbPoolSize).toBe(20);
    for (const off of ['false', '0', 'no'])
      expect(loadConfig({ CREDVAULT_PREPARED_STATEMENTS: off }).preparedStatements).toBe(false);
    expect(loadConfig({ CREDVAULT_DB_POOL_SIZE: '3' }).dbPoolSize).toBe(3);
    expect(() => loadConfig({ CREDVAULT_PREPARED_STATEMENTS: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ CREDVAULT_PREPARED_STATEMENTS: 'maybe' })).toThrow(/CREDVAULT_PREPARED_STATEMENTS/);
    expect(() => loadConfig({ CREDVAULT_DB_POOL_SIZE: '0' })).toThrow(/CREDVAULT_DB_POOL_SIZE/);
  });
});

// PostgreSQL only: PGlite has no connection pool and no session to keep statements in.
describe.each([true, false])('on postgres with prepared statements %s', (prepared) => {
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const database = await createTestDatabase();
    url = database.url;
    drop = database.drop;
  });
  afterAll(async () => drop?.());

  it('imports, reads and bulk-imports; named statements exist on the connection only when enabled', async () => {
    // One connection, so the statements the runtime prepared are visible to the probe below.
    const config = testConfig({
      DATABASE_URL: url,
      CREDVAULT_PREPARED_STATEMENTS: String(prepared),
      CREDVAULT_DB_POOL_SIZE: '1',
    });
    const store = await openStore({
      databaseUrl: url,
      poolSize: config.dbPoolSize,
      preparedStatements: config.preparedStatements,
    });
    const rt = await createRuntime(config, { store, log: pino({ level: 'silent' }) });
    try {
      const headers = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };
      const body = (n: number) => ({
        properties: { kind: 'stripe_key', secret: `sk_live_prep_${n}`, account_id: `acct_prep${n}` },
      });
      for (let round = 0; round < 2; round++) {
        const one = await rt.app.inject({ method: 'POST', url: '/v1/credentials', headers, payload: body(1) });
        expect(one.statusCode).toBe(200);
        const id = (one.json() as { id: string }).id;
        const got = await rt.app.inject({ method: 'GET', url: `/v1/credentials/${id}`, headers });
        expect(got.statusCode).toBe(200);
        expect((got.json() as { id: string }).id).toBe(id);
        const bulk = await rt.app.inject({
          method: 'POST',
          url: '/v1/credentials/bulk',
          headers,
          payload: { items: [body(2), body(3)] },
        });
        expect((bulk.json() as { results: Array<{ status: number }> }).results.map((r) => r.status)).toEqual([
          200, 200,
        ]);
      }
      const statements = await sql<{
        name: string;
      }>`select name from pg_prepared_statements where name like 'credvault_q%'`.execute(store.db);
      // Imports run in a transaction with their event (docs/events.md), which Kysely sends unnamed: the read is prepared.
      if (prepared) expect(statements.rows.length).toBeGreaterThanOrEqual(1);
      else expect(statements.rows).toEqual([]);
      const count = await sql<{ n: number }>`select count(*)::int as n from credentials`.execute(store.db);
      expect(count.rows[0]?.n).toBe(3);
    } finally {
      await rt.close();
      await store.close();
    }
  });
});
