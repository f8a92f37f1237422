/**
 * Issue 4 benchmark: N credentials through `credvault credentials import` (bulk endpoint, the
 * real CLI process) next to the same credentials sent as single POSTs at 50 connections, in the
 * same run, against the same server on PostgreSQL. Target: bulk ≥ 5× faster.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDatabase, fmt, load, startServer } from './lib.js';

const TOKEN = 'bench-bootstrap-token-0123456789abcdefghij';
const KEYS = 'bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const N = Number(process.env.BENCH_BULK_N ?? 100_000);

function body(prefix: string, i: number): string {
  return JSON.stringify({
    properties: { kind: 'stripe_key', secret: `sk_live_${prefix}_${i}_0123456789`, account_id: `acct_${prefix}${i}` },
    metadata: { n: i },
  });
}

export async function benchBulk(): Promise<void> {
  const db = await benchDatabase();
  const port = 18082;
  const cv = await startServer(
    'node',
    ['bin/credvault.js', 'serve'],
    {
      DATABASE_URL: db.url,
      CREDVAULT_MASTER_KEYS: KEYS,
      CREDVAULT_BOOTSTRAP_TOKEN: TOKEN,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CREDVAULT_RATE_LIMIT: '0',
      CREDVAULT_SCHEDULER: 'false',
      CREDVAULT_IMPORT_IDENTIFY: 'false',
    },
    /listening on/,
    `http://127.0.0.1:${port}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'credvault-bench-'));
  try {
    const file = join(dir, 'bulk.jsonl');
    writeFileSync(file, `${Array.from({ length: N }, (_, i) => body('bulk', i)).join('\n')}\n`);

    const t0 = performance.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        'node',
        [
          'bin/credvault.js',
          'credentials',
          'import',
          file,
          '--quiet',
          ...(process.env.BENCH_BULK_ARGS ?? '').split(' ').filter(Boolean),
        ],
        {
          env: { ...process.env, CREDVAULT_URL: cv.url, CREDVAULT_TOKEN: TOKEN },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      child.once('exit', resolve);
    });
    const bulkSeconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`credentials import exited ${code}`);

    // Singles: the same number of distinct credentials, one POST each, 50 connections.
    let i = 0;
    const t1 = performance.now();
    const singles = await load({
      url: `${cv.url}/v1/credentials`,
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      amount: N,
      requests: [{ setupRequest: (req) => ({ ...req, body: body('single', i++) }) }],
    } as Parameters<typeof load>[0]);
    const singleSeconds = (performance.now() - t1) / 1000;

    const bulkRate = N / bulkSeconds;
    const singleRate = N / singleSeconds;
    console.log(`\n== bulk import of ${N} credentials on PostgreSQL`);
    console.log(
      `credvault credentials import (bulk)  ${bulkRate.toFixed(0).padStart(7)} credentials/s  (${bulkSeconds.toFixed(1)} s)`,
    );
    console.log(`${fmt('single POSTs, 50 connections', singles)}  (${singleSeconds.toFixed(1)} s)`);
    const ratio = bulkRate / singleRate;
    console.log(
      `bulk vs single                     ratio ${ratio.toFixed(1)}× (target ≥ 5×) ${ratio >= 5 ? 'OK' : 'BELOW TARGET'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cv.stop();
    await db.drop();
  }
}
