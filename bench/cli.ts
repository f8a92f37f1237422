/**
 * `npm run bench -- cli`: start time of the built CLI (bin/credvault.js) for --help and for
 * HTTP commands against an in-process credvault, next to `node -e 0` measured in the same run
 * (the floor: what starting Node itself costs on this machine). Target: under 0.5 s each.
 * Median of RUNS runs, one at a time. Noisy on a shared machine: read it next to the floor.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { generateKey } from '../src/crypto/keyring.js';
import { createRuntime } from '../src/main.js';

const BIN = fileURLToPath(new URL('../bin/credvault.js', import.meta.url));
const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** One run, asynchronously: the server answering the CLI lives in this process's event loop. */
function once(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${String(code)}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
}

async function time(args: string[], env: Record<string, string>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) ms.push(await once(args, env));
  return median(ms);
}

export async function benchCli(): Promise<void> {
  const token = randomBytes(32).toString('hex');
  const config = loadConfig({
    CREDVAULT_DATA_DIR: 'memory://',
    CREDVAULT_MASTER_KEYS: generateKey('bench').spec,
    CREDVAULT_BOOTSTRAP_TOKEN: token,
    CREDVAULT_SCHEDULER: 'false',
    CREDVAULT_IMPORT_IDENTIFY: 'false',
    LOG_LEVEL: 'silent',
  });
  const rt = await createRuntime(config, { log: pino({ level: 'silent' }) });
  await rt.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(rt.app.server.address() as AddressInfo).port}`;
  try {
    const env = { CREDVAULT_URL: url, CREDVAULT_TOKEN: token, CREDVAULT_CONFIG: '/nonexistent/credvault.json' };
    const floor = await time(['-e', '0'], env);
    const rows: [string, number][] = [
      ['credvault --help', await time([BIN, '--help'], env)],
      ['credvault whoami', await time([BIN, 'whoami'], env)],
      ['credvault credentials list', await time([BIN, 'credentials', 'list'], env)],
      ['credvault audit list', await time([BIN, 'audit', 'list'], env)],
    ];
    console.log(`cli start (median of ${RUNS}; floor node -e 0 = ${floor.toFixed(0)} ms)`);
    for (const [name, ms] of rows)
      console.log(
        `  ${name.padEnd(30)} ${ms.toFixed(0).padStart(5)} ms  (${(ms - floor).toFixed(0)} ms over the floor) ${ms < 500 ? 'under 0.5 s' : 'OVER 0.5 s'}`,
      );
  } finally {
    await rt.close();
  }
}
