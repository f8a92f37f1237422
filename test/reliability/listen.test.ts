/** Issue 13 R7: a taken port ends the process at once, non-zero, with a clear message. */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess } from '../cli/live.js';
import { BOOTSTRAP_TOKEN, TEST_MASTER_KEYS } from '../support/harness.js';
import { createTestDatabase } from '../support/stores.js';

describe('serve on a port already in use', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  beforeAll(async () => {
    assertBuilt();
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('exits 1 at once saying the port is in use', async () => {
    if (!database) throw new Error('no database');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const run = await Promise.race([
        runCliProcess(['serve', '--port', String(address.port), '--host', '127.0.0.1'], {
          DATABASE_URL: database.url,
          CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
          CREDVAULT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
          CREDVAULT_SCHEDULER: 'true',
          LOG_LEVEL: 'warn',
        }),
        // The failure this test exists for is a process that stays up: stop waiting at some point.
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000).unref()),
      ]);
      if (run === 'still running') throw new Error('serve kept running on a taken port');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `cannot listen on 127.0.0.1:${address.port}: the port is already in use (EADDRINUSE)`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
