/**
 * The floors: bare Fastify + PostgreSQL statements per request, on the same database and pool
 * size as credvault. Whatever credvault adds (auth, validation, crypto, masking) shows as the gap.
 *
 * - `POST /import`: one upsert. The floor of an import with nothing after it (the service with
 *   the scheduler off, or a bulk import, whose first checks are the scheduler's routine work).
 * - `POST /import-checked`: one upsert, the answer, then what the DEFAULT service does for every
 *   imported key (docs/performance.md, "The import floors"): one HTTP call to the provider
 *   (STRIPE_URL, kept-alive connections) and one UPDATE of the result. The check runs after the
 *   answer, as credvault's does; `GET /settled` answers once no check is left in flight.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(`create table if not exists floor_credentials (
  id uuid primary key, account_id uuid not null, identity text not null, properties jsonb not null,
  secrets jsonb not null, health jsonb, created_at timestamptz not null, updated_at timestamptz not null,
  unique (account_id, identity))`);
const account = randomUUID();
const stripe = process.env.STRIPE_URL;
const agent = new http.Agent({ keepAlive: true });
const app = Fastify();

async function upsert(body: { properties: Record<string, unknown> }) {
  const identity = String(body.properties.account_id);
  const r = await pool.query(
    `insert into floor_credentials (id, account_id, identity, properties, secrets, created_at, updated_at)
     values ($1, $2, $3, $4, $5, now(), now())
     on conflict (account_id, identity) do update set properties = excluded.properties, secrets = excluded.secrets, updated_at = now()
     returning *`,
    [randomUUID(), account, identity, JSON.stringify(body.properties), JSON.stringify({ secret: 'x' })],
  );
  return r.rows[0] as { id: string };
}

/** One GET to the provider; its answer parsed, as a check would. */
function callProvider(secret: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${stripe}/v1/account`, { agent, headers: { authorization: `Bearer ${secret}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

let inFlight = 0;
const settledWaiters: Array<() => void> = [];
async function check(id: string, secret: string): Promise<void> {
  inFlight++;
  try {
    const answer = await callProvider(secret);
    await pool.query(`update floor_credentials set health = $2 where id = $1`, [
      id,
      JSON.stringify({ status: 'ok', answer, time: new Date().toISOString() }),
    ]);
  } finally {
    inFlight--;
    if (inFlight === 0) for (const w of settledWaiters.splice(0)) w();
  }
}

app.post('/import', async (req) => upsert(req.body as { properties: Record<string, unknown> }));
app.post('/import-checked', async (req) => {
  const body = req.body as { properties: Record<string, unknown> };
  const row = await upsert(body);
  void check(row.id, String(body.properties.secret)).catch(() => undefined);
  return row;
});
app.get('/settled', async () => {
  if (inFlight > 0) await new Promise<void>((resolve) => settledWaiters.push(resolve));
  return { settled: true };
});
app.get('/get/:id', async (req) => {
  const r = await pool.query('select * from floor_credentials where id = $1', [(req.params as { id: string }).id]);
  return r.rows[0];
});
app.get('/any', async () => {
  const r = await pool.query('select id from floor_credentials limit 1');
  return r.rows[0];
});
const port = Number(process.env.PORT ?? 0);
await app.listen({ port, host: '127.0.0.1' });
console.log('floor listening');
