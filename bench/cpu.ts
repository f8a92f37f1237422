/**
 * `node --import tsx bench/cpu.ts [import|get|token|proxy ...]`: CPU per request of the credvault
 * process (utime+stime from /proc, so independent of other load on the machine) and transactions
 * committed per request on its database, for a fixed number of requests at a fixed concurrency.
 * The figures the wall-clock benches cannot give on a shared machine (docs/performance.md).
 * CPU_PROF=dir writes a V8 CPU profile of the server. `floor-import` and `floor-checked` measure
 * the import floors of bench/floor-server.ts the same way (docs/performance.md, "The import floors").
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';
import { benchDatabase, processCpuMs as cpuMs, startServer } from './lib.js';

const TOKEN = 'bench-bootstrap-token-0123456789abcdefghij';
const KEYS = 'bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const N = Number(process.env.CPU_REQUESTS ?? 4000);
const C = Number(process.env.CPU_CONNECTIONS ?? 20);
// CPU_PORT: another port when several people measure on one machine.
const PORT = Number(process.env.CPU_PORT ?? 18180);

async function commits(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await new Promise((r) => setTimeout(r, 1200)); // pgstat flushes at most once a second
  const r = await c.query('select xact_commit::int as n from pg_stat_database where datname = current_database()');
  await c.end();
  return (r.rows[0] as { n: number }).n;
}

async function fake(body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const wanted = process.argv.slice(2);
const db = await benchDatabase();
const stripe = await fake('{"id":"acct_bench","object":"account","country":"US","charges_enabled":true}');
const sendgrid = await fake('{"object":"list","data":[{"id":"x_1","name":"small answer"}],"has_more":false}');
const cv = await startServer(
  'node',
  [
    ...(process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : []),
    'bin/credvault.js',
    'serve',
  ],
  {
    DATABASE_URL: db.url,
    CREDVAULT_MASTER_KEYS: KEYS,
    CREDVAULT_BOOTSTRAP_TOKEN: TOKEN,
    PORT: String(PORT),
    LOG_LEVEL: 'warn',
    CREDVAULT_RATE_LIMIT: '0',
    CREDVAULT_PROVIDER_URL_STRIPE: stripe.url,
    CREDVAULT_PROVIDER_URL_SENDGRID: sendgrid.url,
    CREDVAULT_PROXY_CONCURRENCY: '64',
  },
  /listening|"level":40/,
  `http://127.0.0.1:${PORT}`,
);
const floor = wanted.some((w) => w.startsWith('floor'))
  ? await startServer(
      'node',
      ['--import', 'tsx', 'bench/floor-server.ts'],
      { DATABASE_URL: db.url, PORT: String(PORT + 1), STRIPE_URL: stripe.url },
      /floor listening/,
      `http://127.0.0.1:${PORT + 1}`,
    )
  : undefined;
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };
try {
  const imported = await fetch(`${cv.url}/v1/credentials`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ properties: { kind: 'stripe_key', secret: 'sk_live_one', account_id: 'acct_one' } }),
  });
  const id = ((await imported.json()) as { id: string }).id;
  const sg = await fetch(`${cv.url}/v1/credentials`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ properties: { kind: 'sendgrid_key', api_key: 'SG.bench-key-0123456789' } }),
  });
  const sgId = ((await sg.json()) as { id: string }).id;
  const cases: Record<string, autocannon.Options> = {
    import: {
      url: `${cv.url}/v1/credentials`,
      method: 'POST',
      headers: json,
      body: '{"properties":{"kind":"stripe_key","secret":"sk_live_bench_[<id>]","account_id":"acct_[<id>]"},"metadata":{"bench":true}}',
      idReplacement: true,
    },
    get: { url: `${cv.url}/v1/credentials/${id}`, headers: auth },
    token: { url: `${cv.url}/v1/credentials/${id}/access-token`, method: 'POST', headers: auth },
    proxy: { url: `${cv.url}/v1/proxy/credential/${sgId}/v3/templates?limit=10`, headers: auth },
  };
  const importCase = cases.import;
  if (floor && importCase) {
    cases['floor-import'] = { ...importCase, url: `${floor.url}/import` };
    cases['floor-checked'] = { ...importCase, url: `${floor.url}/import-checked` };
  }
  for (const name of wanted.length ? wanted : Object.keys(cases)) {
    const opts = cases[name];
    if (!opts) throw new Error(`unknown case ${name}`);
    const pid = (name.startsWith('floor') ? floor : cv)?.child.pid ?? 0;
    await autocannon({ ...opts, connections: C, amount: Math.min(1000, N) }); // warm-up
    await new Promise((r) => setTimeout(r, 1500)); // let the scheduler settle
    const c0 = await commits(db.url);
    const t0 = cpuMs(pid);
    const r = await autocannon({ ...opts, connections: C, amount: N });
    const t1 = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 1500));
    const t2 = cpuMs(pid);
    const c1 = await commits(db.url);
    const n = r.requests.total;
    console.log(
      `${name.padEnd(7)} ${n} req (non-2xx ${r.non2xx}, errors ${r.errors})  server CPU ${(((t1 - t0) * 1000) / n).toFixed(0)} µs/req` +
        ` (+${(((t2 - t1) * 1000) / n).toFixed(0)} µs/req after)  commits/req ${((c1 - c0 - 2) / n).toFixed(2)}` +
        `  [wall ${r.requests.average.toFixed(0)} req/s p50 ${r.latency.p50} p99 ${r.latency.p99}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}]`,
    );
  }
} finally {
  await cv.stop();
  await floor?.stop();
  await stripe.close();
  await sendgrid.close();
  await db.drop();
}
