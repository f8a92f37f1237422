/** Fuzzing the events and webhook routes: never a 5xx, never a secret echoed. Both stores. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SECRET = 'FZsecret_W9k2';

// The marker goes only where a secret goes (the `secret` field, below): a description or a URL
// is echoed by design, so a marker stored there by one run would be "echoed" by the next.
const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    'https://127.0.0.1/x',
    'http://127.0.0.1:1/x',
    'https://user:pw@h.example/x',
    'credential.*',
    '*',
    '',
    '\u0000',
    'a\ud800b',
    '__proto__',
    'constructor',
    1e308,
    -0,
    '2026-01-01T00:00:00Z',
    'not-a-date',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const key = fc.constantFrom('url', 'description', 'event_types', 'enabled', 'since', 'secret', '__proto__', 'extra');
const body = fc.oneof(
  fc.dictionary(key, weird, { maxKeys: 5 }),
  fc.record(
    { secret: fc.constantFrom(SECRET, `whsec_${SECRET}`), url: weird, description: weird },
    { requiredKeys: ['secret'] },
  ),
  fc.record({ url: weird, event_types: fc.array(weird, { maxLength: 4 }) }, { requiredKeys: [] }),
  weird,
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    'credential.*',
    '0',
    '-1',
    '501',
    '2026-01-01T00:00:00Z',
    'x'.repeat(300),
    '%00',
    'failed',
    'succeeded',
  ),
);
const query = fc.dictionary(fc.constantFrom('type', 'since', 'limit', 'cursor', 'status', 'other'), queryValue, {
  maxKeys: 4,
});

describe.each(STORE_KINDS)('fuzzing the events and webhook routes on %s', (store) => {
  let h: Harness;
  let admin: Client;
  let endpointId: string;
  beforeAll(async () => {
    h = await startHarness(store, { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: 'http://127.0.0.1:9' });
    admin = h.admin;
    const ep = await admin.json<{ id: string }>('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook' });
    expect(ep.status).toBe(201);
    endpointId = ep.body.id;
  });
  afterAll(async () => h?.close());

  it('random bodies never give a 5xx nor echo a secret', async () => {
    const routes: Array<[string, string]> = [
      ['POST', '/v1/webhook-endpoints'],
      ['PATCH', `/v1/webhook-endpoints/${endpointId}`],
      ['POST', `/v1/webhook-endpoints/${endpointId}/replay`],
    ];
    for (const [method, url] of routes) {
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const res = await admin.req(method, url, JSON.stringify(b) ?? 'null');
          expect(res.statusCode, `${method} ${url} ${JSON.stringify(b)}`).toBeLessThan(500);
          expect(res.body).not.toContain(SECRET);
        }),
        { numRuns: RUNS },
      );
    }
    // Whatever was created along the way, the endpoint under test still answers.
    expect((await admin.req('GET', `/v1/webhook-endpoints/${endpointId}`)).statusCode).toBe(200);
  });

  it('random query strings and ids never give a 5xx', async () => {
    const paths = ['/v1/events', `/v1/webhook-endpoints/${endpointId}/deliveries`, '/v1/webhook-endpoints'];
    for (const path of paths) {
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const res = await admin.req('GET', `${path}?${new URLSearchParams(q).toString()}`);
          expect(res.statusCode, `${path} ${JSON.stringify(q)}`).toBeLessThan(500);
        }),
        { numRuns: RUNS },
      );
    }
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), async (id) => {
        for (const p of [`/v1/events/${encodeURIComponent(id)}`, `/v1/webhook-endpoints/${encodeURIComponent(id)}`]) {
          expect((await admin.req('GET', p)).statusCode).toBeLessThan(500);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
