/**
 * Issue 13 R4: one process per embedded data directory. Every command that opens it (serve,
 * migrate, keys ...) takes an exclusive lock; a second opener is refused with a message naming
 * the holder's pid; a lock left by a dead process (kill -9) is taken over.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { openStore } from '../../src/store/db.js';
import { assertBuilt, runCliProcess } from '../cli/live.js';
import { type ChildNode, startChildNode } from '../support/child.js';
import { TEST_MASTER_KEYS } from '../support/harness.js';

/** A pid that ran and is gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('exclusive lock on the embedded data directory', () => {
  // One directory for every case: creating an embedded database takes seconds, reopening less.
  let dir = '';
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), 'credvault-lock-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('in one process: a second open is refused until the first closes', async () => {
    const first = await openStore({ dataDir: dir });
    await expect(openStore({ dataDir: dir })).rejects.toThrow(DataDirLockedError);
    await expect(openStore({ dataDir: dir })).rejects.toThrow(`pid ${process.pid}`);
    await first.close();
    const again = await openStore({ dataDir: dir });
    await again.close();
  });

  it('a stale lock of a dead pid is taken over', async () => {
    writeFileSync(join(dir, LOCK_FILE), `${deadPid()}\n`);
    const store = await openStore({ dataDir: dir });
    await store.close();
  });

  it('serve, migrate and keys beside a running serve are refused naming its pid; after kill -9 a new serve takes over', async () => {
    const env = { CREDVAULT_DATA_DIR: dir, CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS };
    let first: ChildNode | undefined = await startChildNode(env);
    let second: ChildNode | undefined;
    try {
      const pid = first.child.pid;
      const message = new RegExp(`data directory .* is in use by another credvault process \\(pid ${String(pid)}\\)`);
      const serve = await runCliProcess(['serve', '--port', '0'], env);
      expect(serve.code).toBe(1);
      expect(serve.stderr).toMatch(message);
      const migrate = await runCliProcess(['migrate'], env);
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toMatch(message);
      const keys = await runCliProcess(['keys', 'status'], env);
      expect(keys.code).toBe(1);
      expect(keys.stderr).toMatch(message);
      // The first node still serves.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

      first.child.kill('SIGKILL');
      await first.exited;
      first = undefined;
      second = await startChildNode(env);
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      await first?.stop();
      await second?.stop();
    }
    // Two embedded-database starts in child processes: slow on a loaded machine.
  }, 120_000);
});
