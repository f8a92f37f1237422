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
