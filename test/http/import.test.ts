import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SPECS } from '../../src/providers/registry.js';
import { KINDS } from '../../src/providers/registry.js';
import { FIXTURES } from '../providers/fixtures.js';
import { createOAuthApp, importBody } from '../support/api.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Cred = {
  id: string;
  kind: string;
  provider: string;
  name: string | null;
  properties: Record<string, unknown>;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  health: { status: string };
};
type Invalid = { summary: string; validation_errors: Record<string, string[]> };

describe.each(STORE_KINDS)('credential import on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  describe.each(KINDS)('kind %s', (kind) => {
    const f = FIXTURES[kind];
    const spec = KIND_SPECS[kind];

    it('imports a valid credential with secrets masked', async () => {
      const res = await c.json<Cred>('POST', '/v1/credentials', await importBody(c, kind));
      expect(res.status).toBe(200);
      expect(res.body.kind).toBe(kind);
      expect(res.body.provider).toBe(spec.provider);
      for (const s of spec.secretFields) {
        if (f.valid[s] !== undefined) expect(res.body.properties[s]).toBe('***********');
      }
      const text = JSON.stringify(res.body);
      for (const s of spec.secretFields) {
        const v = f.valid[s];
        if (typeof v === 'string' && v.length >= 6) expect(text).not.toContain(v);
      }
    });

    it.each(f.required)('422 on properties.%s when it is missing', async (field) => {
      const props = { ...f.valid };
      delete props[field];
      const res = await c.json<Invalid>('POST', '/v1/credentials', await importBody(c, kind, props));
      expect(res.status).toBe(422);
      expect(res.body.validation_errors).toHaveProperty([`properties.${field}`]);
    });

    it('422 on an unknown field, named by its path', async () => {
      const res = await c.json<Invalid>(
        'POST',
        '/v1/credentials',
        await importBody(c, kind, { ...f.valid, surprise: 'x' }),
      );
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.validation_errors)).toEqual(['properties.surprise']);
    });

    it('422 on a field of the wrong type', async () => {
      const field = f.required[0] ?? 'name';
      const res = await c.json<Invalid>(
        'POST',
        '/v1/credentials',
        await importBody(c, kind, { ...f.valid, [field]: { nested: true } }),
      );
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.validation_errors)).toEqual([`properties.${field}`]);
    });
  });

  it('the same provider account imported twice is one credential; re-import semantics', async () => {
    const a = await h.newAccount();
    const first = await a.json<Cred>('POST', '/v1/credentials', {
      name: 'Original',
      properties: { kind: 'stripe_key', secret: 'sk_live_first_key_0001', account_id: 'acct_twice' },
      metadata: { team: 'billing' },
    });
    expect(first.status).toBe(200);
    const second = await a.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_second_key_0002', account_id: 'acct_twice' },
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.created_at).toBe(first.body.created_at);
    expect(second.body.name).toBe('Original');
    expect(second.body.metadata).toEqual({ team: 'billing' });
    expect(second.body.health.status).toBe('pending');
    const third = await a.json<Cred>('POST', '/v1/credentials', {
      name: 'Renamed',
      properties: { kind: 'stripe_key', secret: 'sk_live_third_key_0003', account_id: 'acct_twice' },
      metadata: {},
    });
    expect(third.body.id).toBe(first.body.id);
    expect(third.body.name).toBe('Renamed');
    expect(third.body.metadata).toEqual({});
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials');
    expect(list.body.data).toHaveLength(1);
  });

  it('50 concurrent imports of one provider account give one credential, no error', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'salesforce');
    const variants = [
      'https://acme.my.salesforce.com',
      'https://acme.my.salesforce.com/',
      'https://ACME.my.Salesforce.com',
      'https://acme.my.salesforce.com:443',
    ];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        a.json<Cred>('POST', '/v1/credentials', {
          oauth_app_id: appId,
          properties: {
            kind: i % 2 ? 'salesforce' : 'salesforce_oauth2',
            instance_url: variants[i % variants.length],
            refresh_token: `rt-${i}`,
          },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials?provider=salesforce');
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]?.kind).toBe('salesforce_oauth2');
  });

  it('normalizes identities: HubSpot hub_id as number and numeric string', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'hubspot');
    const one = await a.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: { kind: 'hubspot', hub_id: 4242, refresh_token: 'r1', scopes: [] },
    });
    const two = await a.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: { kind: 'hubspot_oauth2', hub_id: '4242', refresh_token: 'r2', scopes: ['crm'] },
    });
    expect(one.status).toBe(200);
    expect(two.body.id).toBe(one.body.id);
    expect(two.body.properties.hub_id).toBe(4242);
  });

  it('re-importing another kind of the same Stripe account replaces the kind', async () => {
    const a = await h.newAccount();
    const key = await a.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_live_kindswap_01', account_id: 'acct_swap' },
    });
    const appId = await createOAuthApp(a, 'stripe');
    const oauth = await a.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: {
        kind: 'stripe_oauth',
        stripe_user_id: 'acct_swap',
        access_token: 'sk_live_tok_swap',
        refresh_token: 'rt_swap',
      },
    });
    expect(oauth.status).toBe(200);
    expect(oauth.body.id).toBe(key.body.id);
    expect(oauth.body.kind).toBe('stripe_oauth2');
    expect(oauth.body.properties).not.toHaveProperty('secret');
  });

  it('a masked secret sent back keeps the stored value; otherwise 422', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'salesforce');
    const created = await a.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: {
        kind: 'salesforce_oauth2',
        instance_url: 'https://mask.my.salesforce.com',
        refresh_token: 'rt-real-value',
      },
    });
    const back = await a.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: created.body.properties,
    });
    expect(back.status).toBe(200);
    expect(back.body.id).toBe(created.body.id);
    expect(back.body.properties.refresh_token).toBe('***********');
    // The stored value is still the real one: the identity-by-fingerprint case proves it.
    const fresh = await a.json<Invalid>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: {
        kind: 'salesforce_oauth2',
        instance_url: 'https://other.my.salesforce.com',
        refresh_token: '***********',
      },
    });
    expect(fresh.status).toBe(422);
    expect(fresh.body.validation_errors).toHaveProperty(['properties.refresh_token']);
    const byFingerprint = await a.json<Invalid>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: '***********' },
    });
    expect(byFingerprint.status).toBe(422);
    expect(byFingerprint.body.validation_errors).toHaveProperty(['properties.api_key']);
  });

  it('the same secret imported twice by fingerprint is one credential', async () => {
    const a = await h.newAccount();
    const one = await a.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.same-key.value' },
    });
    const two = await a.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.same-key.value' },
    });
    const other = await a.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.other-key.value' },
    });
    expect(two.body.id).toBe(one.body.id);
    expect(other.body.id).not.toBe(one.body.id);
  });

  it("422 on oauth_app_id for an unknown app, another account's app, or the wrong provider", async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const hubspotApp = await createOAuthApp(a, 'hubspot');
    const foreignApp = await createOAuthApp(b, 'salesforce');
    const props = { kind: 'salesforce_oauth2', instance_url: 'https://x.my.salesforce.com', refresh_token: 'r' };
    for (const id of ['7d1c2d6e-8b1a-4c3e-9f0a-123456789abc', 'not-a-uuid', foreignApp, hubspotApp]) {
      const res = await a.json<Invalid>('POST', '/v1/credentials', { oauth_app_id: id, properties: props });
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.validation_errors)).toEqual(['oauth_app_id']);
    }
    const unknown = await a.json<Invalid>('POST', '/v1/credentials', {
      oauth_app_id: '7d1c2d6e-8b1a-4c3e-9f0a-123456789abc',
      properties: props,
    });
    const foreign = await a.json<Invalid>('POST', '/v1/credentials', { oauth_app_id: foreignApp, properties: props });
    expect(foreign.body).toEqual(unknown.body);
    const missing = await a.json<Invalid>('POST', '/v1/credentials', { properties: props });
    expect(missing.body.validation_errors).toHaveProperty(['oauth_app_id']);
  });

  it('Idempotency-Key replays byte for byte, refuses another body, scoped per account', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const body = { properties: { kind: 'stripe_key', secret: 'sk_test_idem_0001', account_id: 'acct_idem' } };
    const first = await a.req('POST', '/v1/credentials', body, { 'idempotency-key': 'key-1' });
    const replay = await a.req('POST', '/v1/credentials', { ...body }, { 'idempotency-key': 'key-1' });
    expect(replay.statusCode).toBe(first.statusCode);
    expect(replay.body).toBe(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await a.req('POST', '/v1/credentials', { ...body, name: 'other' }, { 'idempotency-key': 'key-1' });
    expect(other.statusCode).toBe(422);
    const inB = await b.req('POST', '/v1/credentials', body, { 'idempotency-key': 'key-1' });
    expect(inB.statusCode).toBe(200);
    expect(inB.body).not.toBe(first.body);
    const errorFirst = await a.req(
      'POST',
      '/v1/credentials',
      { properties: { kind: 'nope' } },
      { 'idempotency-key': 'key-2' },
    );
    const errorReplay = await a.req(
      'POST',
      '/v1/credentials',
      { properties: { kind: 'nope' } },
      { 'idempotency-key': 'key-2' },
    );
    expect(errorFirst.statusCode).toBe(422);
    expect(errorReplay.body).toBe(errorFirst.body);
    const tooLong = await a.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k'.repeat(256) });
    expect(tooLong.statusCode).toBe(422);
  });

  it('Idempotency-Key under 20 concurrent retries runs the request once', async () => {
    const a = await h.newAccount();
    const body = { properties: { kind: 'stripe_key', secret: 'sk_test_idem_conc', account_id: 'acct_idem_conc' } };
    const res = await Promise.all(
      Array.from({ length: 20 }, () => a.req('POST', '/v1/credentials', body, { 'idempotency-key': 'conc' })),
    );
    for (const r of res) expect([200, 409]).toContain(r.statusCode);
    const oks = res.filter((r) => r.statusCode === 200);
    expect(new Set(oks.map((r) => r.body)).size).toBe(1);
  });
});
