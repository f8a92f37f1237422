/**
 * Issue 13 R3: start-up with PostgreSQL down retries with backoff for a configurable time,
 * saying what it waits for, then exits non-zero with a clear message. Runs a PostgreSQL of its
 * own (stopped and started here); the shared server is never touched.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, assertBuilt } from '../cli/live.js';
import { BOOTSTRAP_TOKEN, TEST_MASTER_KEYS } from '../support/harness.js';
import { call, until } from './load.js';
import { type PrivatePg, createPrivatePg } from './private-pg.js';

function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
      CREDVAULT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      CREDVAULT_SCHEDULER: 'false',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { child, exited, output: () => out };
}

describe('start-up while PostgreSQL is down (own PostgreSQL)', () => {
  let pg: PrivatePg | undefined;
  beforeAll(async () => {
    assertBuilt();
    pg = await createPrivatePg();
    await pg.stop();
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  it('waits, saying for what, and starts once PostgreSQL comes up', async () => {
    if (!pg) throw new Error('no PostgreSQL');
    const node = serve({ DATABASE_URL: pg.url, CREDVAULT_DB_STARTUP_WAIT_SECONDS: '60' });
    try {
      await until('the wait to be logged twice', () => node.output().split('waiting for PostgreSQL').length > 2);
      expect(node.output()).toContain(`waiting for PostgreSQL at 127.0.0.1:${pg.port}/postgres`);
      expect(node.output()).toMatch(/ECONNREFUSED/);
      expect(node.child.exitCode).toBeNull();
      await pg.start();
      await until('the node to listen', () => /listening on http/.test(node.output()));
      const url = /listening on (http:\/\/\S+)/.exec(node.output())?.[1] ?? '';
      expect((await call(url, 'GET', '/readyz')).status).toBe(200);
    } finally {
      node.child.kill('SIGTERM');
      await node.exited;
      await pg.stop();
    }
  });

  it('gives up after CREDVAULT_DB_STARTUP_WAIT_SECONDS and exits non-zero with a clear message', async () => {
    if (!pg) throw new Error('no PostgreSQL');
    const node = serve({ DATABASE_URL: pg.url, CREDVAULT_DB_STARTUP_WAIT_SECONDS: '2' });
    const guard = setTimeout(() => node.child.kill('SIGKILL'), 30_000);
    const code = await node.exited;
    clearTimeout(guard);
    expect(code).toBe(1);
    expect(node.output()).toMatch(/waiting for PostgreSQL/);
    expect(node.output()).toMatch(
      new RegExp(
        `PostgreSQL at 127\\.0\\.0\\.1:${pg.port}/postgres did not answer within 2 s \\(last error: .*ECONNREFUSED`,
      ),
    );
  });
});
