/**
 * Issue 13 R2: timeouts toward PostgreSQL. A partition, a lock held too long and a server that
 * accepts TCP but never answers all end in a bounded time: requests answer 503 with Retry-After
 * in the error shape, /readyz 503, and start-up gives up with a clear message instead of hanging.
 * The partition is a TCP proxy in front of the shared server (which is never restarted).
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN } from '../cli/live.js';
import { type ChildNode, startChildNode } from '../support/child.js';
import { TEST_MASTER_KEYS } from '../support/harness.js';
import { createTestDatabase } from '../support/stores.js';
import { call, errorShaped, importOne } from './load.js';
import { type PartitionProxy, startPartitionProxy, startSilentServer } from './partition.js';

const timeouts = {
  CREDVAULT_DB_CONNECT_TIMEOUT_MS: '800',
  CREDVAULT_DB_QUERY_TIMEOUT_MS: '1500',
  CREDVAULT_DB_STATEMENT_TIMEOUT_MS: '1000',
};

describe('timeouts toward PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let proxy: PartitionProxy | undefined;
  let node: ChildNode | undefined;
  beforeAll(async () => {
    assertBuilt();
    database = await createTestDatabase();
    const target = new URL(database.url);
    proxy = await startPartitionProxy(Number(target.port || '5432'), target.hostname);
  });
  afterAll(async () => {
    await node?.stop();
    await proxy?.close();
    await database?.drop();
  });

  it('a partition answers 503 + Retry-After (not a hang), /readyz 503, and the node resumes when it heals', async () => {
    if (!database || !proxy) throw new Error('setup failed');
    const via = new URL(database.url);
    via.port = String(proxy.port);
    node = await startChildNode({ DATABASE_URL: via.toString(), ...timeouts });
    const url = node.url;
    expect((await importOne(url)).status).toBe(200);

    proxy.partition();
    const answers = await Promise.all([importOne(url), call(url, 'GET', '/v1/credentials?limit=5'), importOne(url)]);
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(errorShaped(a.body)).toBe(true);
    }
    const ready = await call(url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(errorShaped(ready.body)).toBe(true);

    proxy.heal();
    expect((await importOne(url)).status).toBe(200);
    expect((await call(url, 'GET', '/readyz')).status).toBe(200);
    expect(node.child.exitCode).toBeNull();
  });

  it('a statement held up by a lock is cancelled by statement_timeout and answers 503', async () => {
    if (!database || !node) throw new Error('setup failed');
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table credentials in access exclusive mode');
      const a = await importOne(node.url);
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(errorShaped(a.body)).toBe(true);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect((await importOne(node.url)).status).toBe(200);
  });

  it('start-up against a server that accepts TCP and never answers gives up with a clear message', async () => {
    const silent = await startSilentServer();
    try {
      const child = spawn(process.execPath, [BIN, 'serve'], {
        env: {
          ...process.env,
          PORT: '0',
          DATABASE_URL: `postgres://postgres@127.0.0.1:${silent.port}/postgres`,
          CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
          CREDVAULT_DB_CONNECT_TIMEOUT_MS: '300',
          CREDVAULT_DB_STARTUP_WAIT_SECONDS: '1',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const code = await new Promise<number | null>((resolve) => {
        // A hang is the failure this test exists for: kill it rather than wait forever.
        const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', (c) => {
          clearTimeout(guard);
          resolve(c);
        });
      });
      expect(code).toBe(1);
      expect(out).toMatch(/PostgreSQL at 127\.0\.0\.1:\d+\/postgres did not answer within 1 s/);
      expect(out).toMatch(/waiting for PostgreSQL/);
    } finally {
      await silent.close();
    }
  });
});
