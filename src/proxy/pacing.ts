/**
 * At most `limit` proxied calls in flight per credential on this node (CREDVAULT_PROXY_CONCURRENCY);
 * the excess waits in order up to `waitMs`, then is refused (429 `busy`).
 */
export interface Pacer {
  /** A release function, or undefined when no slot came within the wait. */
  acquire(id: string): Promise<(() => void) | undefined>;
  /** A release function when a slot is free now (no waiting, no promise), else undefined. */
  tryAcquire(id: string): (() => void) | undefined;
}

interface Lane {
  running: number;
  waiting: Array<(ok: boolean) => void>;
}

export function createPacer(limit: number, waitMs: number): Pacer {
  const lanes = new Map<string, Lane>();
  const release = (id: string, lane: Lane) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = lane.waiting.shift();
      if (next) return next(true); // the slot passes on as is
      lane.running--;
      if (lane.running === 0) lanes.delete(id);
    };
  };
  return {
    tryAcquire(id) {
      const lane = lanes.get(id);
      if (lane === undefined) {
        const fresh: Lane = { running: 1, waiting: [] };
        lanes.set(id, fresh);
        return release(id, fresh);
      }
      // Behind waiters, a free slot is theirs (in order): the caller then waits with acquire.
      if (lane.running < limit && lane.waiting.length === 0) {
        lane.running++;
        return release(id, lane);
      }
      return undefined;
    },
    acquire(id) {
      let lane = lanes.get(id);
      if (!lane) {
        lane = { running: 0, waiting: [] };
        lanes.set(id, lane);
      }
      const l = lane;
      if (l.running < limit) {
        l.running++;
        return Promise.resolve(release(id, l));
      }
      return new Promise((resolve) => {
        const wake = (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok ? release(id, l) : undefined);
        };
        const timer = setTimeout(() => {
          const i = l.waiting.indexOf(wake);
          if (i >= 0) l.waiting.splice(i, 1);
          resolve(undefined);
        }, waitMs);
        l.waiting.push(wake);
      });
    },
  };
}
