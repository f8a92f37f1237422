import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/idempotency/service.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const SECRET = 'sk_live_IdemMRKq7Zx93';

describe.each(STORE_KINDS)('Idempotency-Key is scoped to the token and never keeps a secret on %s', (store) => {
  let h: Harness;
  let c: Client;
  let second: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
    const t = await c.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'second',
      scopes: ['credentials:read', 'credentials:write', 'secrets:reveal', 'tokens:manage'],
    });
    second = {
      ...c,
      token: t.body.token,
      req: (m, u, b, hd) => c.req(m, u, b, { authorization: `Bearer ${t.body.token}`, ...hd }),
      json: async (m, u, b, hd) => {
        const res = await c.req(m, u, b, { authorization: `Bearer ${t.body.token}`, ...hd });
        return { status: res.statusCode, body: res.json(), headers: res.headers };
      },
    };
  });
  afterAll(async () => h?.close());

  it("does not replay one token's answer to another token of the same account", async () => {
    const body = { properties: { kind: 'stripe_key', secret: `${SECRET}a` } };
    const first = await c.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k-shared' });
    expect(first.statusCode).toBe(200);
    const again = await c.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k-shared' });
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await second.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k-shared' });
    expect(other.statusCode).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 409 instead of replaying an access token, and stores no answer', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `${SECRET}b` },
    });
    const url = `/v1/credentials/${cred.body.id}/access-token`;
    const first = await c.json<{ access_token: string }>('POST', url, undefined, { 'idempotency-key': 'k-token' });
    expect(first.status).toBe(200);
    expect(first.body.access_token).toBe(`${SECRET}b`);
    expect(first.headers['cache-control']).toBe('no-store');
    const again = await c.req('POST', url, undefined, { 'idempotency-key': 'k-token' });
    expect(again.statusCode).toBe(409);
    expect(again.body).not.toContain(SECRET);
    expect(again.json()).toMatchObject({ summary: expect.stringMatching(/this Idempotency-Key was used/i) });
    // Another token with the same key is a new request: authorized and audited on its own.
    const other = await second.json<{ access_token: string }>('POST', url, undefined, { 'idempotency-key': 'k-token' });
    expect(other.status).toBe(200);
    const audit = await c.json<{ data: Array<{ action: string; credential_id: string | null }> }>(
      'GET',
      '/v1/audit-events',
    );
    expect(
      audit.body.data.filter(
        (e) => e.action === 'credential.access_token_revealed' && e.credential_id === cred.body.id,
      ),
    ).toHaveLength(2);
  });

  it('answers 409 instead of replaying a new API token or a new account', async () => {
    const first = await c.json<{ token: string }>(
      'POST',
      '/v1/api-tokens',
      { name: 'ci', scopes: ['credentials:read'] },
      { 'idempotency-key': 'k-api-token' },
    );
    expect(first.status).toBe(201);
    const again = await c.req(
      'POST',
      '/v1/api-tokens',
      { name: 'ci', scopes: ['credentials:read'] },
      { 'idempotency-key': 'k-api-token' },
    );
    expect(again.statusCode).toBe(409);
    expect(again.body).not.toContain(first.body.token);
    const acct = await h.admin.json<{ token: { token: string } }>(
      'POST',
      '/v1/accounts',
      { name: 'idem' },
      { 'idempotency-key': 'k-account' },
    );
    expect(acct.status).toBe(201);
    const acctAgain = await h.admin.req('POST', '/v1/accounts', { name: 'idem' }, { 'idempotency-key': 'k-account' });
    expect(acctAgain.statusCode).toBe(409);
    expect(acctAgain.body).not.toContain(acct.body.token.token);
    // The answers that held a secret are not stored at all (sealed or not).
    const rows = await h.rt.store.db
      .selectFrom('idempotency_keys')
      .select(['key', 'response_status', 'response_body'])
      .execute();
    const secretRows = rows.filter((r) => /:(k-api-token|k-account|k-token)$/.test(r.key));
    expect(secretRows.length).toBeGreaterThanOrEqual(4);
    for (const r of secretRows) {
      if (r.response_status !== null && r.response_status < 300) expect(r.response_body).toBeNull();
    }
  });

  it('keys the request hash (HMAC under a server key), not a bare SHA-256 of a body holding secrets', async () => {
    const body = { properties: { kind: 'stripe_key', secret: `${SECRET}c` } };
    const res = await c.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k-hash' });
    expect(res.statusCode).toBe(200);
    const row = await h.rt.store.db
      .selectFrom('idempotency_keys')
      .select(['key', 'request_hash'])
      .where('key', 'like', '%:k-hash')
      .executeTakeFirstOrThrow();
    const bare = createHash('sha256')
      .update(`POST\n/v1/credentials\n${canonicalJson(body)}`)
      .digest('hex');
    expect(row.request_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.request_hash).not.toBe(bare);
    // Still stable: the same request is a replay, a different one a 422.
    expect(
      (await c.req('POST', '/v1/credentials', body, { 'idempotency-key': 'k-hash' })).headers['idempotent-replayed'],
    ).toBe('true');
    expect(
      (
        await c.req(
          'POST',
          '/v1/credentials',
          { properties: { kind: 'stripe_key', secret: `${SECRET}d` } },
          { 'idempotency-key': 'k-hash' },
        )
      ).statusCode,
    ).toBe(422);
  });
});
