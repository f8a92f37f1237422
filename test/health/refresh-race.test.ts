import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import { registerApp } from '../fakes/harness.js';
import { MARKER } from '../fakes/state.js';
import { BOOTSTRAP_TOKEN, type Harness, startHarness } from '../support/harness.js';
import { type ChildNode, startChildNode } from '../support/child.js';

type AccessToken = { access_token: string; expires_at: string | null };
type Health = { status: string; reason: string | null; notes: string[] };

let seeded = 0;

/** Seeds a Salesforce org whose refresh token rotates and whose reuse is invalid_grant. */
function seedOrg(fake: FakeProvider) {
  seeded += 1;
  fake.state.rotate = true;
  const info = {
    org_id: '00D5g000004AbCdEAK',
    user_id: '0055g00000XyZ12AAB',
    instance_url: 'https://acme.my.salesforce.com',
  };
  const refresh = `${MARKER}-rt-seed-${seeded}`;
  fake.state.addRefreshToken(refresh, info);
  return { app: registerApp(fake), refresh };
}

async function importExpired(h: Harness, fake: FakeProvider) {
  const { app, refresh } = seedOrg(fake);
  const c = h.admin;
  const appRes = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
    name: 'sf',
    provider: 'salesforce',
    client_id: app.clientId,
    client_secret: app.clientSecret,
  });
  const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
    oauth_app_id: appRes.body.id,
    properties: {
      kind: 'salesforce_oauth2',
      instance_url: 'https://acme.my.salesforce.com',
      refresh_token: refresh,
      access_token: `${MARKER}-expired-at`,
      expires_at: '2020-01-01T00:00:00Z',
    },
  });
  expect(cred.status).toBe(200);
  return cred.body.id;
}

async function storedRefreshToken(h: Harness, id: string): Promise<string> {
  const res = await h.admin.json<{ data: Array<{ properties: Record<string, unknown> }> }>(
    'GET',
    '/v1/credentials/export?include_secrets=true',
  );
  expect(res.status).toBe(200);
  const row = res.body.data.find(
    (d) => JSON.stringify(d).includes(id) || d.properties.instance_url === 'https://acme.my.salesforce.com',
  );
  return String(row?.properties.refresh_token);
}

describe('refresh race across processes on PostgreSQL', () => {
  let fake: FakeProvider;
  let h: Harness;
  let b: ChildNode | undefined;
  beforeAll(async () => {
    fake = await startFakeProvider('salesforce');
    h = await startHarness('postgres', {
      CREDVAULT_PROVIDER_URL_SALESFORCE: fake.url,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await b?.stop();
    await h?.close();
    await fake?.close();
  });

  it('50 concurrent access-token requests over two processes make exactly one refresh call', async () => {
    const id = await importExpired(h, fake);
    b = await startChildNode({
      DATABASE_URL: h.testStore.url ?? '',
      CREDVAULT_PROVIDER_URL_SALESFORCE: fake.url,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1000',
    });
    const before = fake.calls.count('token');
    const childUrl = b.url;
    const fromA = Array.from({ length: 25 }, () =>
      h.admin.json<AccessToken>('POST', `/v1/credentials/${id}/access-token`),
    );
    const fromB = Array.from({ length: 25 }, async () => {
      const res = await fetch(`${childUrl}/v1/credentials/${id}/access-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
      });
      return { status: res.status, body: (await res.json()) as AccessToken };
    });
    const answers = await Promise.all([...fromA, ...fromB]);
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    expect(fake.calls.count('token') - before).toBe(1);
    const tokens = new Set(answers.map((a) => a.body.access_token));
    expect(tokens.size).toBe(1);
    const [token] = [...tokens];
    expect(token).not.toBe(`${MARKER}-expired-at`);
    expect(fake.state.accessTokens.has(token ?? '')).toBe(true);
    // The stored refresh token is the last one the provider issued (the only one it still accepts).
    const stored = await storedRefreshToken(h, id);
    expect(fake.state.refreshTokens.has(stored)).toBe(true);
    expect(fake.state.usedRefreshTokens.has(stored)).toBe(false);
    const audit = await h.admin.json<{ data: Array<{ action: string; credential_id: string }> }>(
      'GET',
      '/v1/audit-events?limit=500',
    );
    expect(
      audit.body.data.filter((e) => e.action === 'credential.access_token_revealed' && e.credential_id === id),
    ).toHaveLength(50);
    expect(JSON.stringify(audit.body)).not.toContain(MARKER);
    await b.stop();
    b = undefined;
  });

  it('a crash between the provider answer and the write leaves the credential refreshed or in error, never silently broken', async () => {
    await h.admin.req(
      'DELETE',
      `/v1/credentials/${(await h.admin.json<{ data: Array<{ id: string }> }>('GET', '/v1/credentials')).body.data[0]?.id ?? ''}`,
    );
    const id = await importExpired(h, fake);
    b = await startChildNode({
      DATABASE_URL: h.testStore.url ?? '',
      CREDVAULT_PROVIDER_URL_SALESFORCE: fake.url,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1000',
      CREDVAULT_FAILPOINT: 'refresh:before-persist',
    });
    const before = fake.calls.count('token');
    const crashed = await fetch(`${b.url}/v1/credentials/${id}/access-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
    }).then(
      (r) => r.status,
      () => 'connection lost',
    );
    expect(crashed).toBe('connection lost');
    expect(await b.exited).toBe('SIGKILL');
    b = undefined;
    // The provider rotated the token, but the process died before storing it.
    expect(fake.calls.count('token') - before).toBe(1);
    // The surviving node waits out the dead node's lease, tries the stored (now used) token,
    // gets invalid_grant with the row unchanged, and says re-authorization is needed.
    const after = await h.admin.json<{ summary: string }>('POST', `/v1/credentials/${id}/access-token`);
    expect(after.status).toBe(409);
    expect(after.body.summary).not.toContain(MARKER);
    const cred = await h.admin.json<{ health: Health }>('GET', `/v1/credentials/${id}`);
    expect(cred.body.health.status).toBe('error');
    expect(cred.body.health.reason).toBe('invalid_grant');
    expect(cred.body.health.notes.join(' ')).toMatch(/re-?authori[sz]e/i);
  });
});
