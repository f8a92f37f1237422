import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';

export const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh PostgreSQL database for one benchmark; dropped by the returned function. */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `credvault_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a server process and waits until it prints a line matching `ready` on stdout/stderr. */
export async function startServer(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  url: string,
): Promise<Server> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (ready.test(seen)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${seen.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`server not ready after 60 s: ${seen.slice(-2000)}`)), 60_000).unref();
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        // A server that already exited (crashed mid-run) has nothing left to stop.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  /** How long the load ran (autocannon's own figure). */
  seconds: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ connections: 50, ...(opts.amount ? {} : { duration: 10 }), ...opts });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
    seconds: r.duration,
  };
}

export function fmt(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  errors ${r.errors}  non-2xx ${r.non2xx}`;
}

export function ratioLine(name: string, ours: LoadResult, floor: LoadResult, target: number): string {
  const ratio = ours.rps / floor.rps;
  return `${name.padEnd(34)} ratio ${ratio.toFixed(2)}× of floor (target ≥ ${target}×) ${ratio >= target ? 'OK' : 'BELOW TARGET'}`;
}

/** CPU time (user + system, all threads) a process has used, in ms, from /proc (Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/** `load` while measuring the CPU the server process spends per request. */
export async function loadWithCpu(
  pid: number | undefined,
  opts: autocannon.Options,
): Promise<LoadResult & { cpuUsPerRequest: number }> {
  const before = processCpuMs(pid);
  const r = await load(opts);
  const used = processCpuMs(pid) - before;
  return { ...r, cpuUsPerRequest: r.total > 0 ? (used * 1000) / r.total : NaN };
}

export type CpuLoadResult = LoadResult & { cpuUsPerRequest: number };

/**
 * Two sides measured in alternating slices (A B B A A B ...) instead of one long run each: this
 * machine's speed drifts by tens of percent over a minute (other tenants), and a drift between
 * "ours" and "floor" runs moved a ratio from 0.4x to 0.8x between identical runs. Interleaving
 * puts both sides under the same drift. Throughput is total requests over total time; CPU per
 * request is total CPU over total requests; p50 and p99 are the medians of the slices'.
 */
export async function alternate(
  slices: number,
  a: () => Promise<CpuLoadResult>,
  b: () => Promise<CpuLoadResult>,
): Promise<[CpuLoadResult, CpuLoadResult]> {
  const got: [CpuLoadResult[], CpuLoadResult[]] = [[], []];
  for (let i = 0; i < slices; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) got[side as 0 | 1].push(await (side === 0 ? a() : b()));
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return s[Math.floor(s.length / 2)] ?? NaN;
  };
  const combine = (rs: CpuLoadResult[]): CpuLoadResult => {
    const total = rs.reduce((n, r) => n + r.total, 0);
    const seconds = rs.reduce((n, r) => n + r.seconds, 0);
    const cpu = rs.reduce((n, r) => n + r.cpuUsPerRequest * r.total, 0);
    return {
      rps: seconds > 0 ? total / seconds : 0,
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
      total,
      seconds,
      cpuUsPerRequest: total > 0 ? cpu / total : NaN,
    };
  };
  return [combine(got[0]), combine(got[1])];
}
