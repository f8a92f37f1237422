/** Validation errors do not amplify; deep or wide JSON and oversized identities are 422, not 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type ErrorBody = { summary: string; validation_errors?: Record<string, string[]> };
type BulkAnswer = { results: Array<{ index: number; status: number; error?: ErrorBody }> };

const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe.each(STORE_KINDS)('validation limits on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('answers 422 to JSON nested deeper than 32 levels, on a single import and on the bulk route', async () => {
    for (const levels of [33, 4100]) {
      const single = await c.req(
        'POST',
        '/v1/credentials',
        `{"properties":{"kind":"stripe_key","secret":"sk_live_x"},"metadata":${deep(levels)}}`,
      );
      expect(single.statusCode, `${levels}`).toBe(422);
      expect((single.json() as ErrorBody).summary).toMatch(/32 levels/);
      const bulk = await c.req('POST', '/v1/credentials/bulk', `{"items":[${deep(levels)}]}`);
      expect(bulk.statusCode).toBe(422);
    }
    // 32 levels in all is fine (the body object counts as one).
    const ok = await c.req(
      'POST',
      '/v1/credentials',
      `{"properties":{"kind":"stripe_key","secret":"sk_live_depth"},"metadata":${deep(30)}}`,
    );
    expect(ok.statusCode).toBe(200);
    // Brackets inside strings are not nesting.
    const inString = await c.req(
      'POST',
      '/v1/credentials',
      JSON.stringify({
        properties: { kind: 'stripe_key', secret: 'sk_live_brackets' },
        metadata: { note: '{'.repeat(100) + '['.repeat(100) },
      }),
    );
    expect(inString.statusCode).toBe(200);
  });

  it('answers 422 to an object with more than 1,000 members', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
    const res = await c.req('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_wide' },
      metadata,
    });
    expect(res.statusCode).toBe(422);
    expect((res.json() as ErrorBody).summary).toMatch(/1,000 members/);
  });

  it('answers 422 to an identity field over the limit (9 KB), not 500', async () => {
    const res = await c.req('POST', '/v1/credentials', {
      properties: { kind: 'checkout_champ_password', login_id: `user-${'x'.repeat(9000)}`, password: 'pw' },
    });
    expect(res.statusCode).toBe(422);
    expect((res.json() as ErrorBody).validation_errors).toHaveProperty(['properties.login_id']);
  });

  it('caps the issues of one item ("and N more") and states the accepted fields once', async () => {
    const properties: Record<string, unknown> = { kind: 'stripe_key', secret: 'sk_live_unknown' };
    for (let i = 0; i < 500; i++) properties[`unknown_${i}`] = i;
    const res = await c.req('POST', '/v1/credentials', { properties });
    expect(res.statusCode).toBe(422);
    const body = res.json() as ErrorBody;
    const entries = Object.entries(body.validation_errors ?? {});
    expect(entries.length).toBeLessThanOrEqual(21);
    expect(JSON.stringify(body)).toMatch(/and 4\d\d more/);
    // The kind's field list appears once, not once per unknown field.
    const listed = entries.filter(([, reasons]) => reasons.some((r) => /fields are/.test(r)));
    expect(listed).toHaveLength(1);
    expect(res.body.length).toBeLessThan(4000);
  });

  it('keeps a bulk answer of unknown keys small (no amplification)', async () => {
    const item = {
      properties: Object.fromEntries([
        ['kind', 'stripe_key'],
        ['secret', 'sk_live_b'],
        ...Array.from({ length: 200 }, (_, i) => [`u${i}`, 1]),
      ]),
    };
    const items = Array.from({ length: 1000 }, () => item);
    const payload = JSON.stringify({ items });
    const res = await c.req('POST', '/v1/credentials/bulk', payload);
    expect(res.statusCode).toBe(200);
    const answer = res.json() as BulkAnswer;
    expect(answer.results).toHaveLength(1000);
    expect(answer.results.every((r) => r.status === 422)).toBe(true);
    // Smaller than the request: each item's issues are capped, and past the answer's cap only a summary.
    expect(res.body.length).toBeLessThan(payload.length);
    const last = answer.results[999]?.error;
    expect(last?.summary).toMatch(/invalid/);
  });
});
