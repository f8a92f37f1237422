/**
 * The floor: bare Fastify + one PostgreSQL statement per request, on the same database and pool
 * size as credvault. Whatever credvault adds (auth, validation, crypto, masking) shows as the gap.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(`create table if not exists floor_credentials (
  id uuid primary key, account_id uuid not null, identity text not null, properties jsonb not null,
  secrets jsonb not null, created_at timestamptz not null, updated_at timestamptz not null,
  unique (account_id, identity))`);
const account = randomUUID();
const app = Fastify();
app.post('/import', async (req) => {
  const body = req.body as { properties: Record<string, unknown> };
  const identity = String(body.properties.account_id);
  const r = await pool.query(
    `insert into floor_credentials (id, account_id, identity, properties, secrets, created_at, updated_at)
     values ($1, $2, $3, $4, $5, now(), now())
     on conflict (account_id, identity) do update set properties = excluded.properties, secrets = excluded.secrets, updated_at = now()
     returning *`,
    [randomUUID(), account, identity, JSON.stringify(body.properties), JSON.stringify({ secret: 'x' })],
  );
  return r.rows[0];
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
