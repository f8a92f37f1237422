/**
 * The floor of the scheduler benchmark (run as its own process by bench/scheduler.ts): a bare
 * loop making the HTTP calls the scheduler makes for a `stripe_key` check, with the same
 * concurrency and nothing else — no database, no decryption, no leases.
 *
 * Same calls as credvault's outbound client (src/net/outbound.ts): GET <base>/v1/account with
 * `authorization: Bearer <key>`, `accept: application/json`, `accept-encoding: identity`, one
 * connection per call (`agent: false`, as the SSRF-pinned client does), body read and parsed
 * as JSON. Prints one JSON line: {"calls":N,"ms":elapsed,"cpuMs":cpu,"failures":F}.
 *
 * Env: FLOOR_URL (fake provider base), FLOOR_COUNT, FLOOR_CONCURRENCY, FLOOR_FIRST (first key index).
 */
import http from 'node:http';
import pg from 'pg';

const base = new URL(process.env.FLOOR_URL ?? 'http://127.0.0.1:1');
const count = Number(process.env.FLOOR_COUNT ?? 1000);
const concurrency = Number(process.env.FLOOR_CONCURRENCY ?? 8);
const first = Number(process.env.FLOOR_FIRST ?? 0);

/** The key of credential `i`, as bench/scheduler.ts seeds it (keep the two in step). */
const benchKey = (i: number): string => `sk_test_bench_${String(i).padStart(7, '0')}`;

function call(key: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: base.hostname,
        port: Number(base.port),
        path: '/v1/account',
        method: 'GET',
        headers: { authorization: `Bearer ${key}`, accept: 'application/json', 'accept-encoding': 'identity' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown };
          resolve(res.statusCode === 200 && typeof body.id === 'string');
        });
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * FLOOR_DATABASE_URL (optional): after each call, also write its result the plainest way, one
 * UPDATE of the credential's row per call (no lease, no batching, no encryption): the floor of
 * "a check that is recorded", for reference next to the bare HTTP floor.
 */
const databaseUrl = process.env.FLOOR_DATABASE_URL;
const pool = databaseUrl ? new pg.Pool({ connectionString: databaseUrl, max: concurrency }) : undefined;
const accountOf = (key: string): string => `acct_bench${key.slice('sk_test_bench_'.length)}`;

// The bench seeds one account: its id completes the (account_id, provider, identity) key.
const seededAccount = pool
  ? String((await pool.query<{ account_id: string }>('select account_id from credentials limit 1')).rows[0]?.account_id)
  : '';

async function record(key: string): Promise<boolean> {
  if (!pool) return true;
  const res = await pool.query(
    `update credentials set health_status = 'ok', health = jsonb_set(health, '{checked_at}', to_jsonb(now()::text)), next_check_at = now() + interval '6 hours', version = version + 1
     where account_id = $1 and provider = 'stripe' and identity = $2`,
    [seededAccount, `account:${accountOf(key)}`],
  );
  return res.rowCount === 1;
}

let next = 0;
let failures = 0;
async function worker(): Promise<void> {
  while (next < count) {
    const i = next++;
    const key = benchKey(first + i);
    if (!(await call(key)) || !(await record(key))) failures += 1;
  }
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: concurrency }, () => worker()));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await pool?.end();
process.stdout.write(`${JSON.stringify({ calls: count, ms, cpuMs: (cpu.user + cpu.system) / 1000, failures })}\n`);
