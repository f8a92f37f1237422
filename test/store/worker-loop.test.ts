/**
 * The claim loop the scheduler and the webhook worker share (docs/architecture.md, "Background
 * work"), on an in-memory table of rows: per-group slots, busy groups left out of claims, a
 * waiting item's lease renewed (and skipped once lost), claims backing off while they fail, and
 * stop() waiting for the work claimed. No storage: the loop is given its claim and renew.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createWorkerLoop } from '../../src/store/worker-loop.js';

interface Row {
  id: number;
  group: string;
  account: string;
}

function table(rows: Row[]) {
  const free = [...rows];
  const claims: Array<{ limit: number; busy: readonly string[] }> = [];
  return {
    claims,
    claim(limit: number, busy: readonly string[]): Promise<Row[]> {
      claims.push({ limit, busy: [...busy] });
      const out: Row[] = [];
      for (let i = 0; i < free.length && out.length < limit;) {
        const r = free[i];
        if (r && !busy.includes(r.group)) {
          out.push(r);
          free.splice(i, 1);
        } else i++;
      }
      return Promise.resolve(out);
    },
    left: () => free.length,
  };
}

const rows = (n: number, group: (i: number) => string, account: (i: number) => string = () => 'a'): Row[] =>
  Array.from({ length: n }, (_, i) => ({ id: i, group: group(i), account: account(i) }));
const tick = () => new Promise((r) => setTimeout(r, 1));

function captured() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => lines.push(JSON.parse(s) as { level: number; msg: string }) },
  );
  return { log, lines };
}

describe('worker loop', () => {
  it('works every claimed item once, at most perGroup at once per group, groups side by side', async () => {
    const t = table(rows(60, (i) => `g${i % 3}`));
    const running = new Map<string, number>();
    let most = 0;
    const worked: number[] = [];
    const loop = createWorkerLoop<Row>({
      log: captured().log,
      what: 'rows',
      maxInFlight: 16,
      perGroup: 2,
      groupOf: (r) => r.group,
      idleMs: 10,
      claim: (limit, busy) => t.claim(limit, busy),
      renewAfterMs: 60_000,
      renew: (r) => Promise.resolve(r),
      async run(r) {
        running.set(r.group, (running.get(r.group) ?? 0) + 1);
        most = Math.max(most, ...running.values());
        await tick();
        worked.push(r.id);
        running.set(r.group, (running.get(r.group) ?? 1) - 1);
      },
    });
    await loop.drain();
    expect(worked.sort((a, b) => a - b)).toEqual(rows(60, () => '').map((r) => r.id));
    expect(most).toBe(2);
    expect(t.left()).toBe(0);
    // Never more claimed at once than the capacity.
    expect(Math.max(...t.claims.map((c) => c.limit))).toBeLessThanOrEqual(16);
    expect(loop.stats()).toEqual({ inFlight: 0, done: 60 });
  });

  it('leaves a group with a full local queue out of claims (busyAt) while other groups are claimed', async () => {
    const t = table([...rows(20, () => 'slow'), ...rows(4, () => 'fast').map((r) => ({ ...r, id: 100 + r.id }))]);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const fastDone: number[] = [];
    const loop = createWorkerLoop<Row>({
      log: captured().log,
      what: 'rows',
      maxInFlight: 100,
      perGroup: 1,
      busyAt: 1,
      groupOf: (r) => r.group,
      idleMs: 5,
      claim: (limit, busy) => t.claim(Math.min(limit, 8), busy),
      renewAfterMs: 60_000,
      renew: (r) => Promise.resolve(r),
      async run(r) {
        if (r.group === 'slow') await gate;
        else fastDone.push(r.id);
      },
    });
    loop.start();
    while (fastDone.length < 4) await tick();
    // The slow group's first claim filled its queue: later claims named it busy and took none of it.
    expect(t.claims.slice(1).some((c) => c.busy.includes('slow'))).toBe(true);
    expect(t.left()).toBeGreaterThan(0);
    release();
    await loop.stop();
    await loop.drain();
    expect(t.left()).toBe(0);
  });

  it('renews the lease of an item that waited; one whose lease is lost is not worked', async () => {
    const t = table(rows(4, () => 'g'));
    const renewed: number[] = [];
    const worked: number[] = [];
    const loop = createWorkerLoop<Row>({
      log: captured().log,
      what: 'rows',
      maxInFlight: 8,
      perGroup: 1,
      groupOf: (r) => r.group,
      idleMs: 5,
      claim: (limit, busy) => t.claim(limit, busy),
      renewAfterMs: 50,
      renew(r) {
        renewed.push(r.id);
        // Row 3's lease expired meanwhile and another node took it.
        return Promise.resolve(r.id === 3 ? undefined : { ...r, account: 'renewed' });
      },
      async run(r) {
        await new Promise((res) => setTimeout(res, 80));
        worked.push(r.account === 'renewed' ? -r.id : r.id);
      },
    });
    await loop.drain();
    // The first item started at once (no renewal); the others waited behind it in the one slot.
    expect(renewed).toEqual([1, 2, 3]);
    expect(worked).toEqual([0, -1, -2]);
  });

  it('backs off while claims fail, logs the cause once, and says when claiming works again', async () => {
    const { log, lines } = captured();
    let failing = 3;
    let claims = 0;
    const loop = createWorkerLoop<Row>({
      log,
      what: 'rows',
      maxInFlight: 8,
      perGroup: 1,
      groupOf: (r) => r.group,
      idleMs: 2,
      claim() {
        claims += 1;
        if (failing-- > 0) return Promise.reject(new Error('down'));
        return Promise.resolve([]);
      },
      renewAfterMs: 60_000,
      renew: (r) => Promise.resolve(r),
      run: () => Promise.resolve(),
    });
    loop.start();
    while (!lines.some((l) => l.msg === 'claiming rows works again')) await tick();
    await loop.stop();
    expect(lines.filter((l) => l.msg === 'claiming rows failed; backing off until it works again')).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'claiming rows still fails')).toHaveLength(2);
    expect(claims).toBeGreaterThanOrEqual(4);
  });

  it('gatherMs: after a partial claim, rows arriving one by one are claimed together, not one claim each', async () => {
    const free: Row[] = [];
    const sizes: number[] = [];
    const worked: number[] = [];
    const loop = createWorkerLoop<Row>({
      log: captured().log,
      what: 'rows',
      maxInFlight: 100,
      perGroup: 10,
      groupOf: (r) => r.group,
      // Idle polls are far apart: only wakes (each arriving row) prompt a claim.
      idleMs: 60_000,
      gatherMs: 1000,
      fullBatch: 10,
      claim(limit) {
        const got = free.splice(0, limit);
        if (got.length > 0) sizes.push(got.length);
        return Promise.resolve(got);
      },
      renewAfterMs: 60_000,
      renew: (r) => Promise.resolve(r),
      run(r) {
        worked.push(r.id);
        return Promise.resolve();
      },
    });
    loop.start();
    free.push({ id: 0, group: 'g', account: 'a' });
    loop.wake();
    while (worked.length < 1) await tick();
    // Five more, each with its own wake, well within the gathering wait.
    for (let id = 1; id <= 5; id++) {
      free.push({ id, group: 'g', account: 'a' });
      loop.wake();
      await new Promise((r) => setImmediate(r));
    }
    while (worked.length < 6) await tick();
    await loop.stop();
    expect(sizes).toEqual([1, 5]);
    expect(worked).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stop() waits for the work already claimed, and claims nothing more', async () => {
    const t = table(rows(10, () => 'g'));
    const finished: number[] = [];
    const loop = createWorkerLoop<Row>({
      log: captured().log,
      what: 'rows',
      maxInFlight: 4,
      perGroup: 4,
      groupOf: (r) => r.group,
      idleMs: 5,
      claim: (limit, busy) => t.claim(limit, busy),
      renewAfterMs: 60_000,
      renew: (r) => Promise.resolve(r),
      async run(r) {
        await new Promise((res) => setTimeout(res, 20));
        finished.push(r.id);
      },
    });
    loop.start();
    while (t.claims.length === 0) await tick();
    await loop.stop();
    const claimedBeforeStop = 10 - t.left();
    expect(finished).toHaveLength(claimedBeforeStop);
    expect(loop.stats().inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(10 - t.left()).toBe(claimedBeforeStop);
  });
});
