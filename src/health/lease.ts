/**
 * Working on one credential under its lease (docs/architecture.md, "The token path"): the
 * database lease makes one worker per credential across nodes, and in-process single-flight makes
 * one per credential per node however many requests ask at once.
 */
import { AppError, NotFoundError } from '../lib/errors.js';
import type { HealthStore, WorkResult, WorkRow } from './store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LeaseDeps {
  store: HealthStore;
  nodeId: string;
  leaseMs: number;
}

/**
 * Runs `fn` on the credential with its lease taken, waiting while another worker (here or on
 * another node) holds it. A worker that finds the work done meanwhile (`stillNeeded` false) lets
 * go and answers `done(row)`. `fn` must write or release the lease it is given.
 */
export async function withLease<R>(
  d: LeaseDeps,
  id: string,
  fn: (row: WorkRow) => Promise<R>,
  stillNeeded: (row: WorkRow) => boolean,
  done: (row: WorkRow) => R,
): Promise<R> {
  // Real elapsed time, not the injected clock: this bounds how long a request sleeps (in real
  // time) for a lease; the injected clock decides token expiry and health times.
  const deadline = Date.now() + d.leaseMs + 5000;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const leased = await d.store.acquire(id, d.nodeId, d.leaseMs);
    if (leased) {
      if (!stillNeeded(leased)) {
        await d.store.release(id, d.nodeId);
        return done(leased);
      }
      return fn(leased);
    }
    const row = await d.store.get(id);
    if (!row) throw new NotFoundError('credential');
    if (!stillNeeded(row)) return done(row);
    if (Date.now() > deadline)
      throw new AppError(503, 'Another worker is still busy with this credential; retry shortly.', {
        'retry-after': '2',
      });
    await sleep(wait);
  }
}

/** In-process single-flight: callers asking for the same key while it runs share its answer. */
export function singleFlight<R>() {
  const inflight = new Map<string, Promise<R>>();
  return (key: string, run: () => Promise<R>): Promise<R> => {
    const existing = inflight.get(key);
    if (existing) return existing;
    const p = run().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };
}

/**
 * The last write of work under the lease (guarded by lease and version, lease released); a
 * re-import or a lost lease meanwhile means the newer state wins: let go and read it.
 */
export async function finishWork(
  d: Pick<LeaseDeps, 'store' | 'nodeId'>,
  row: WorkRow,
  r: WorkResult,
  write: (row: WorkRow, r: WorkResult) => Promise<WorkRow | undefined> = (w, res) =>
    d.store.write(w.id, d.nodeId, w.version, res, true),
): Promise<WorkRow> {
  const written = await write(row, r);
  if (written) return written;
  await d.store.release(row.id, d.nodeId);
  return (await d.store.get(row.id)) ?? row;
}
