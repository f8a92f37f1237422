/**
 * An exclusive lock on the embedded data directory (issue 13 R4): PGlite is single-process,
 * and two processes on one directory lose acknowledged writes and corrupt indexes. Every
 * command that opens the directory (serve, migrate, keys ...) goes through openStore, which
 * takes this lock first. The lock is a file holding the owner's pid, created exclusively; a
 * lock whose pid no longer runs (kill -9, power loss) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'credvault.lock';

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `The data directory ${dir} is in use by another credvault process (pid ${pid}); stop it first (two processes on one embedded database lose data). If no such process runs, remove ${join(dir, LOCK_FILE)}.`,
    );
  }
}

export interface DataDirLock {
  release(): void;
}

/** Directories this process holds (a second open in the same process is refused too). */
const held = new Set<string>();

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

function readPid(path: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function lockDataDir(dir: string): DataDirLock {
  const abs = resolve(dir);
  const path = join(abs, LOCK_FILE);
  if (held.has(abs)) throw new DataDirLockedError(dir, process.pid);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
      const pid = readPid(path);
      // Our own pid without holding it: a previous life of this pid (containers reuse low pids).
      if (pid !== undefined && pid !== process.pid && running(pid)) throw new DataDirLockedError(dir, pid);
      // Stale (dead owner, or a half-written file): take it over.
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as { code?: unknown }).code !== 'ENOENT') throw unlinkError;
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    held.add(abs);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        held.delete(abs);
        // Only remove the file if it is still ours.
        if (readPid(path) === process.pid) {
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        }
      },
    };
  }
  throw new DataDirLockedError(dir, readPid(path) ?? 0);
}
