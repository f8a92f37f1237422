/**
 * Issue 10 benchmark (`npm run bench -- events`), on PostgreSQL, one credvault node:
 * 1. Import throughput (single POSTs, 50 connections) with one subscribed webhook endpoint next
 *    to the same without endpoints, interleaved in the same run. Target ≥ 0.9×.
 * 2. Deliveries to a receiver on 127.0.0.1: a replay queues every event at once and the clock
 *    runs until the receiver has them all. Target ≥ 1,000 events/s; the floor is the same
 *    receiver hit by bare POSTs from this process at the same concurrency.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { benchDatabase, fmt, load, processCpuMs as cpuMs, startServer } from './lib.js';

const TOKEN = 'bench-bootstrap-token-0123456789abcdefghij';
const KEYS = 'bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const N = Number(process.env.BENCH_EVENTS_N ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_EVENTS_CONCURRENCY ?? 4);

const loadNow = () => `load ${loadavg()[0]?.toFixed(2)}`;

async function receiver() {
  const ids = new Set<string>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests += 1;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string') ids.add(id);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    ids,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function api<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function benchEvents(): Promise<void> {
  const db = await benchDatabase();
  const rx = await receiver();
  const port = 18084;
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
      CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin,
      CREDVAULT_WEBHOOK_CONCURRENCY: String(CONCURRENCY),
    },
    /listening on/,
    `http://127.0.0.1:${port}`,
  );
  try {
    let n = 0;
    const pid = cv.child.pid;
    const imports = async (label: string) => {
      const cpu0 = cpuMs(pid);
      const r = await importLoad(label);
      return { ...r, cpuPer: (cpuMs(pid) - cpu0) / N, load: loadNow() };
    };
    const importLoad = (label: string) =>
      load({
        url: `${cv.url}/v1/credentials`,
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        amount: N,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({
                properties: {
                  kind: 'stripe_key',
                  secret: `sk_live_${label}_${n}_0123456789`,
                  account_id: `acct_${label}_${n++}`,
                },
              }),
            }),
          },
        ],
      } as Parameters<typeof load>[0]);
    const started = new Date(Date.now() - 1000).toISOString();
    // Warm-up, then interleaved rounds: without endpoints, with one subscribed endpoint (whose
    // deliveries the node sends meanwhile), and again.
    await imports('warm');
    const without1 = await imports('a1');
    const ep = await api<{ id: string }>(cv.url, 'POST', '/v1/webhook-endpoints', {
      url: `${rx.origin}/bench`,
      event_types: ['credential.*'],
    });
    const with1 = await imports('b1');
    await api(cv.url, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, { enabled: false });
    const without2 = await imports('a2');
    await api(cv.url, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, { enabled: true });
    const with2 = await imports('b2');
    const withoutRps = Math.max(without1.rps, without2.rps);
    const withRps = Math.max(with1.rps, with2.rps);
    console.log(`\n== events: import with one subscribed endpoint vs none (${N} single POSTs per round, PostgreSQL)`);
    for (const [name, r] of [
      ['no endpoint, round 1', without1],
      ['one endpoint, round 1', with1],
      ['no endpoint, round 2', without2],
      ['one endpoint, round 2', with2],
    ] as const)
      console.log(`${fmt(name, r)}  node CPU ${r.cpuPer.toFixed(2)} ms/import, ${r.load}`);
    const ratio = withRps / withoutRps;
    console.log(
      `import with endpoint vs without        ratio ${ratio.toFixed(2)}× (best rounds; target ≥ 0.9×) ${ratio >= 0.9 ? 'OK' : 'BELOW TARGET'}`,
    );

    // Let the imports' deliveries finish, then replay everything to a fresh endpoint and time it.
    const total = 5 * N;
    const deadline = Date.now() + 600_000;
    while (rx.ids.size < 2 * N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const rx2Before = rx.requests();
    const ep2 = await api<{ id: string }>(cv.url, 'POST', '/v1/webhook-endpoints', {
      url: `${rx.origin}/replay`,
      event_types: ['credential.*'],
    });
    const t0 = performance.now();
    const cpu0 = cpuMs(pid);
    const queued = await api<{ queued: number }>(cv.url, 'POST', `/v1/webhook-endpoints/${ep2.id}/replay`, {
      since: started,
    });
    while (rx.requests() - rx2Before < queued.queued && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const rate = queued.queued / seconds;
    const cpuPerDelivery = (cpuMs(pid) - cpu0) / queued.queued;
    const deliveryLoad = loadNow();
    const floor = await load({
      url: `${rx.origin}/floor`,
      method: 'POST',
      connections: CONCURRENCY,
      amount: queued.queued,
      headers: { 'content-type': 'application/json' },
      body: '{"type":"credential.created"}',
    } as Parameters<typeof load>[0]);
    console.log(
      `\n== events: deliveries of ${queued.queued} replayed events (of ${total} imported) to one receiver on 127.0.0.1, ${CONCURRENCY} in flight per endpoint`,
    );
    console.log(
      `credvault deliveries                ${rate.toFixed(0).padStart(7)} events/s  (${seconds.toFixed(1)} s, signed, recorded)  node CPU ${cpuPerDelivery.toFixed(3)} ms/delivery, ${deliveryLoad}`,
    );
    console.log(fmt(`floor: bare POSTs, ${CONCURRENCY} connections`, floor));
    console.log(
      `deliveries                          ${rate >= 1000 ? 'OK' : 'BELOW TARGET'} (target ≥ 1,000 events/s), ${(rate / floor.rps).toFixed(2)}× of the floor`,
    );
  } finally {
    await cv.stop();
    await rx.close();
    await db.drop();
  }
}
