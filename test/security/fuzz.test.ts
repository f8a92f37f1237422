import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../../src/providers/registry.js';
import { FIXTURES } from '../providers/fixtures.js';
import { createOAuthApp } from '../support/api.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { documentedRoutes } from '../support/routes.js';
import { STORE_KINDS } from '../support/stores.js';

const SECRET = 'FZsecret_Q4w8';
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);

/** Values that stress parsers: odd types, huge numbers, unicode, prototype keys, the marker. */
const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    SECRET,
    `sk_live_${SECRET}`,
    `SG.${SECRET}`,
    '***********',
    '',
    ' ',
    '\u0000',
    'a\ud800b',
    '\udc00',
    '__proto__',
    'constructor',
    1e308,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
  ),
  fc.string({ unit: 'binary', maxLength: 50 }),
);
const fieldName = fc.oneof(
  fc.constantFrom(
    'kind',
    'secret',
    'refresh_token',
    'access_token',
    'instance_url',
    'hub_id',
    'installation_id',
    '__proto__',
    'constructor',
    'properties',
    'name',
    'metadata',
  ),
  fc.string({ maxLength: 12 }),
);
const props = fc.oneof(
  fc.constantFrom(...KINDS).chain((kind) =>
    fc.record({ drop: fc.boolean(), extra: fc.dictionary(fieldName, weird, { maxKeys: 3 }) }).map(({ drop, extra }) => {
      const base: Record<string, unknown> = { kind, ...FIXTURES[kind].valid };
      if (drop) delete base[Object.keys(base)[1] ?? 'kind'];
      return { ...base, ...extra };
    }),
  ),
  fc.dictionary(fieldName, weird, { maxKeys: 6 }),
  weird,
);
const body = fc.oneof(
  fc.record(
    { properties: props, oauth_app_id: fc.option(weird), name: fc.option(weird), metadata: fc.option(weird) },
    { requiredKeys: [] },
  ),
  fc.dictionary(fieldName, weird, { maxKeys: 6 }),
  weird,
);
const SECRET_KEYS = new Set([
  'secret',
  'refresh_token',
  'access_token',
  'client_secret',
  'password',
  'consumer_secret',
  'token_secret',
  'api_key',
  'private_key',
]);

/** Strings the body carries under a secret field name (at any depth): these must never come back. */
function secretsIn(value: unknown, underSecret = false, out: string[] = []): string[] {
  if (typeof value === 'string' && underSecret && (value.includes(SECRET) || value.length >= 16)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) secretsIn(v, underSecret, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) secretsIn(v, SECRET_KEYS.has(k), out);
  }
  return out;
}

const rawText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))),
);

describe.each(STORE_KINDS)('fuzzing every write route on %s', (store) => {
  let h: Harness;
  let c: Client;
  let credId: string;
  let appId: string;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
    appId = await createOAuthApp(c, 'stripe');
    credId = (
      await c.json<{ id: string }>('POST', '/v1/credentials', {
        properties: { kind: 'stripe_key', secret: 'sk_test_fuzz_base' },
      })
    ).body.id;
  });
  afterAll(async () => h?.close());

  /**
   * Routes that ask a provider once their body is valid: fuzzed against fake providers in
   * test/health instead (this harness has no fakes, and nothing may reach a real provider).
   */
  const ASKS_PROVIDER = new Set(['POST /v1/credentials/{id}/health-reports']);

  /** Every documented write route that takes a body (from the OpenAPI document), ids filled in. */
  const routes = (): Array<[string, string]> =>
    documentedRoutes(h.rt)
      .filter((r) => r.hasBody && r.method !== 'GET' && !ASKS_PROVIDER.has(`${r.method} ${r.path}`))
      .map((r) => [r.method, r.path.replace('{id}', r.path.startsWith('/v1/oauth-apps/') ? appId : credId)]);

  it('fuzzes at least the routes it always did', () => {
    const listed = routes().map(([m, u]) => `${m} ${u}`);
    for (const r of [
      'POST /v1/credentials',
      `PATCH /v1/credentials/${credId}`,
      'POST /v1/oauth-apps',
      `PATCH /v1/oauth-apps/${appId}`,
      'POST /v1/api-tokens',
      'POST /v1/accounts',
    ])
      expect(listed).toContain(r);
  });

  it('random JSON bodies never give a 5xx nor echo a secret', async () => {
    for (const [method, url] of routes()) {
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const res = await (url === '/v1/accounts' ? h.admin : c).req(method, url, JSON.stringify(b) ?? 'null');
          expect(res.statusCode, `${method} ${url} ${JSON.stringify(b)}`).toBeLessThan(500);
          for (const secret of secretsIn(b)) expect(res.body).not.toContain(secret);
        }),
        { numRuns: RUNS },
      );
    }
  });

  it('malformed bodies and odd content types never give a 5xx', async () => {
    for (const [method, url] of routes()) {
      await fc.assert(
        fc.asyncProperty(
          rawText,
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'text/plain',
            'application/xml',
            'multipart/form-data',
          ),
          async (text, type) => {
            const res = await c.req(method, url, text, { 'content-type': type });
            expect(res.statusCode).toBeLessThan(500);
            expect([400, 403, 413, 415, 422, 200, 201, 404]).toContain(res.statusCode);
          },
        ),
        { numRuns: RUNS / 2 },
      );
    }
  });
});
