/** Issue 2 benchmark: import and get on PostgreSQL at 50 connections, each next to its floor. */
import { fmt, benchDatabase, load, ratioLine, startServer } from './lib.js';

const TOKEN = 'bench-bootstrap-token-0123456789abcdefghij';
const KEYS = 'bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);

const importBody = '{"properties":{"kind":"stripe_key","secret":"sk_live_bench_[<id>]","account_id":"acct_[<id>]"},"metadata":{"bench":true}}';

export async function benchCore(): Promise<void> {
  const db = await benchDatabase();
  const port = 18080;
  const floorPort = 18081;
  const cv = await startServer(
    'node',
    ['bin/credvault.js', 'serve'],
    { DATABASE_URL: db.url, CREDVAULT_MASTER_KEYS: KEYS, CREDVAULT_BOOTSTRAP_TOKEN: TOKEN, PORT: String(port), LOG_LEVEL: 'warn', CREDVAULT_RATE_LIMIT: '0', CREDVAULT_SCHEDULER: 'false', CREDVAULT_IMPORT_IDENTIFY: 'false' },
    /listening|"level":40/,
    `http://127.0.0.1:${port}`,
  ).catch(async (e: unknown) => {
    await db.drop();
    throw e;
  });
  await new Promise((r) => setTimeout(r, 500));
  const floor = await startServer('node', ['--import', 'tsx', 'bench/floor-server.ts'], { DATABASE_URL: db.url, PORT: String(floorPort) }, /floor listening/, `http://127.0.0.1:${floorPort}`);
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  try {
    // Warm up both (JIT, pools), then measure.
    await load({ url: `${cv.url}/v1/credentials`, method: 'POST', headers, body: importBody, idReplacement: true, duration: 2 });
    await load({ url: `${floor.url}/import`, method: 'POST', headers, body: importBody, idReplacement: true, duration: 2 });
    const imp = await load({ url: `${cv.url}/v1/credentials`, method: 'POST', headers, body: importBody, idReplacement: true, duration: DURATION });
    const impFloor = await load({ url: `${floor.url}/import`, method: 'POST', headers, body: importBody, idReplacement: true, duration: DURATION });

    const one = await fetch(`${cv.url}/v1/credentials?limit=1`, { headers });
    const id = ((await one.json()) as { data: Array<{ id: string }> }).data[0]?.id ?? '';
    const floorOne = await fetch(`${floor.url}/any`);
    const floorId = ((await floorOne.json()) as { id: string }).id;
    await load({ url: `${cv.url}/v1/credentials/${id}`, headers, duration: 2 });
    const get = await load({ url: `${cv.url}/v1/credentials/${id}`, headers, duration: DURATION });
    const getFloor = await load({ url: `${floor.url}/get/${floorId}`, duration: DURATION });
    // The other "use" path: every reveal audited before it is answered (group-committed rows).
    const reveal = { authorization: headers.authorization };
    await load({ url: `${cv.url}/v1/credentials/${id}/access-token`, method: 'POST', headers: reveal, duration: 2 });
    const token = await load({ url: `${cv.url}/v1/credentials/${id}/access-token`, method: 'POST', headers: reveal, duration: DURATION });

    console.log('\n== core API on PostgreSQL, 50 connections');
    console.log(fmt('POST /v1/credentials (import)', imp));
    console.log(fmt('floor: Fastify + 1 upsert', impFloor));
    console.log(ratioLine('import', imp, impFloor, 0.7));
    console.log(`import p99 ${imp.p99} ms (target < 50 ms) ${imp.p99 < 50 ? 'OK' : 'ABOVE TARGET'}`);
    console.log(fmt('GET /v1/credentials/{id}', get));
    console.log(fmt('floor: Fastify + 1 SELECT', getFloor));
    console.log(ratioLine('get', get, getFloor, 0.75));
    console.log(`get p99 ${get.p99} ms (target < 50 ms) ${get.p99 < 50 ? 'OK' : 'ABOVE TARGET'}`);
    console.log(fmt('POST /v1/credentials/{id}/access-token', token));
    console.log(ratioLine('access-token vs GET', token, get, 0.7));
  } finally {
    await cv.stop();
    await floor.stop();
    await db.drop();
  }
}
