import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(STORE_KINDS)('seed import request on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
  });
  afterAll(async () => h?.close());

  it("answers Sequin's documented shape field by field", async () => {
    const c = await h.newAccount();
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'Arakkis - Stripe',
      provider: 'stripe',
      client_id: 'b9f074c939140210e8c231845bbe8b98',
      client_secret: 'whsec_app_secret_value',
    });
    expect(app.status).toBe(200);
    // The seed's body verbatim, apart from the OAuth app id.
    const res = await c.json<Record<string, unknown>>('POST', '/v1/credentials', {
      properties: {
        kind: 'stripe_key',
        name: 'Choam Stripe',
        secret: 'sk_live_7eC39HqLyjWDarjtT1zdp7dcasd',
        test: false,
      },
      oauth_app_id: app.body.id,
      metadata: { custom_property: 42 },
    });
    expect(res.status).toBe(200);
    const b = res.body;
    expect(b.id).toMatch(UUID);
    expect(b.provider).toBe('stripe');
    expect(b.kind).toBe('stripe_key');
    expect(b.name).toBe('Choam Stripe');
    expect(b.oauth_app_id).toBe(app.body.id);
    expect(b.oauth_app).toEqual({
      id: app.body.id,
      name: 'Arakkis - Stripe',
      provider: 'stripe',
      client_id: 'b9f074c939140210e8c231845bbe8b98',
      client_secret: '**********',
      settings: {},
      metadata: {},
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
    });
    expect(b.properties).toEqual({ kind: 'stripe_key', name: 'Choam Stripe', secret: '***********', test: false });
    // Sequin's three fields, then ours: health has one shape whether checked or not (never-checked: nulls).
    expect(b.health).toEqual({
      status: 'pending',
      notes: [],
      time: expect.stringMatching(ISO),
      reason: null,
      checked_at: null,
      last_ok_at: null,
      next_check_at: null,
      consecutive_failures: 0,
    });
    expect(b.metadata).toEqual({ custom_property: 42 });
    expect(b.created_at).toMatch(ISO);
    expect(b.updated_at).toMatch(ISO);
    expect(JSON.stringify(b)).not.toContain('sk_live_7eC39HqLyjWDarjtT1zdp7dcasd');

    const got = await c.json('GET', `/v1/credentials/${String(b.id)}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(b);
  });
});
