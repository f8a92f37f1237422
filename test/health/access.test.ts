import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from './support.js';

type Cred = {
  id: string;
  properties: Record<string, unknown>;
  health: { status: string; reason: string | null; notes: string[] };
};

describe.each(STORE_KINDS)('access tokens, import-time identification and identity learning on %s', (store) => {
  let fakes: Fakes;
  let stripe: FakeProvider;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    stripe = fakes.byProvider.stripe;
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_IMPORT_IDENTIFY: 'true',
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1500',
      CREDVAULT_IMPORT_IDENTIFY_TIMEOUT_MS: '800',
    });
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  const key = (n: string) => `sk_test_${MARKER}${n}`;

  it('answers an API key kind its key, needs secrets:reveal, and audits every reveal without the value', async () => {
    stripe.state.addAccessToken(key('a1'), { account_id: 'acct_AccessA1' });
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('a1') },
    });
    const res = await c.json<{ access_token: string; expires_at: string | null; token_type: string }>(
      'POST',
      `/v1/credentials/${cred.body.id}/access-token`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ access_token: key('a1'), expires_at: null, token_type: 'bearer' });
    const ro = await c.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'writer',
      scopes: ['credentials:read', 'credentials:write'],
    });
    const denied = await h.rt.app.inject({
      method: 'POST',
      url: `/v1/credentials/${cred.body.id}/access-token`,
      headers: { authorization: `Bearer ${ro.body.token}` },
    });
    expect(denied.statusCode).toBe(403);
    const other = await h.newAccount();
    expect((await other.req('POST', `/v1/credentials/${cred.body.id}/access-token`)).statusCode).toBe(404);
    expect((await other.req('POST', `/v1/credentials/${cred.body.id}/check`)).statusCode).toBe(404);
    const audit = await c.json<{
      data: Array<{ action: string; credential_id: string | null; actor_token_id: string | null }>;
    }>('GET', '/v1/audit-events');
    const reveals = audit.body.data.filter((e) => e.action === 'credential.access_token_revealed');
    expect(reveals).toHaveLength(1);
    expect(reveals[0]?.credential_id).toBe(cred.body.id);
    expect(reveals[0]?.actor_token_id).not.toBeNull();
    expect(JSON.stringify(audit.body)).not.toContain(MARKER);
  });

  it('a Stripe key without account_id is identified at import: a rotated key for the same account replaces it', async () => {
    stripe.state.addAccessToken(key('old'), { account_id: 'acct_Rotating01' });
    stripe.state.addAccessToken(key('new'), { account_id: 'acct_Rotating01' });
    const first = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('old') },
    });
    expect(first.status).toBe(200);
    expect(first.body.properties.account_id).toBe('acct_Rotating01');
    expect(first.body.health.status).toBe('ok');
    const rotated = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('new') },
    });
    expect(rotated.body.id).toBe(first.body.id);
  });

  it('a key the provider rejects at import is stored with health error and the reason', async () => {
    const res = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('revoked') },
    });
    expect(res.status).toBe(200);
    expect(res.body.health.status).toBe('error');
    expect(res.body.health.reason).toBe('unauthorized');
    expect(res.body.health.notes[0]).toContain('Stripe');
  });

  it('an unreachable provider at import: stored on the fingerprint with a note; the first check learns the account id', async () => {
    stripe.state.addAccessToken(key('slow'), { account_id: 'acct_LearnedLater' });
    stripe.state.force('hang');
    const res = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('slow') },
    });
    expect(res.status).toBe(200);
    expect(res.body.health.status).toBe('pending');
    expect(res.body.health.notes[0]).toMatch(/fingerprint/);
    expect(res.body.properties.account_id).toBeUndefined();
    const checked = await c.json<Cred>('POST', `/v1/credentials/${res.body.id}/check`);
    expect(checked.body.health.status).toBe('ok');
    expect(checked.body.properties.account_id).toBe('acct_LearnedLater');
    // The identity is now the account id: importing the same account's other key finds it.
    stripe.state.addAccessToken(key('slow2'), { account_id: 'acct_LearnedLater' });
    const again = await c.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('slow2') },
    });
    expect(again.body.id).toBe(res.body.id);
  });

  it('a learned account id already held by another credential gives warn naming it', async () => {
    const d = await h.newAccount();
    stripe.state.addAccessToken(key('dup1'), { account_id: 'acct_Duplicate1' });
    stripe.state.addAccessToken(key('dup2'), { account_id: 'acct_Duplicate1' });
    const held = await d.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('dup1'), account_id: 'acct_Duplicate1' },
    });
    stripe.state.force('hang');
    const second = await d.json<Cred>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key('dup2') },
    });
    expect(second.body.id).not.toBe(held.body.id);
    const checked = await d.json<Cred>('POST', `/v1/credentials/${second.body.id}/check`);
    expect(checked.body.health.status).toBe('warn');
    expect(checked.body.health.notes[0]).toContain(held.body.id);
  });

  it('an OAuth kind answers a fresh token after refreshing an expired one, and a 401 report re-checks at once', async () => {
    const hub = fakes.byProvider.hubspot;
    const access = `${MARKER}-hub-at`;
    const refresh = `${MARKER}-hub-rt`;
    hub.state.addAccessToken(access, { hub_id: 777, scopes: ['crm.objects.contacts.read'] });
    hub.state.addRefreshToken(refresh, { hub_id: 777, scopes: ['crm.objects.contacts.read'] });
    hub.state.addClient('client-hubspot', 'hub-client-secret');
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'hub',
      provider: 'hubspot',
      client_id: 'client-hubspot',
      client_secret: 'hub-client-secret',
    });
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: app.body.id,
      properties: {
        kind: 'hubspot',
        hub_id: 777,
        refresh_token: refresh,
        access_token: access,
        scopes: [],
        expires_at: '2020-01-01T00:00:00Z',
      },
    });
    const before = hub.calls.count('token');
    const t = await c.json<{ access_token: string; expires_at: string }>(
      'POST',
      `/v1/credentials/${cred.body.id}/access-token`,
    );
    expect(t.status).toBe(200);
    expect(t.body.access_token).not.toBe(access);
    expect(new Date(t.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);
    expect(hub.calls.count('token') - before).toBe(1);
    const again = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(again.body.access_token).toBe(t.body.access_token);
    expect(hub.calls.count('token') - before).toBe(1);
  });

  it('a client-credentials kind mints a token on demand and caches it; its check proves the credentials with one grant', async () => {
    const auth0 = fakes.byProvider.auth0;
    const clientSecret = `${MARKER}-m2m-secret`;
    auth0.state.addClient('m2m-access', clientSecret, { tenant: 'acme.us.auth0.com', scope: 'read:users' });
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      properties: {
        kind: 'auth0_client_credentials',
        domain: 'acme.us.auth0.com',
        client_id: 'm2m-access',
        client_secret: clientSecret,
      },
    });
    expect(cred.status).toBe(200);
    const before = auth0.calls.count('token');
    const t = await c.json<{ access_token: string; expires_at: string }>(
      'POST',
      `/v1/credentials/${cred.body.id}/access-token`,
    );
    expect(t.status).toBe(200);
    expect(auth0.state.accessTokens.has(t.body.access_token)).toBe(true);
    expect(new Date(t.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3600_000);
    expect(auth0.calls.count('token') - before).toBe(1);
    const again = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(again.body.access_token).toBe(t.body.access_token);
    expect(auth0.calls.count('token') - before).toBe(1);

    const checked = await c.json<Cred>('POST', `/v1/credentials/${cred.body.id}/check`);
    expect(checked.body.health.status).toBe('ok');
    expect(auth0.calls.count('token') - before).toBe(2);
    // The minted token stays sealed: never in the credential answer.
    expect(JSON.stringify(checked.body)).not.toContain(t.body.access_token);
    expect(JSON.stringify(checked.body)).not.toContain(MARKER);

    // Revoked client: the next mint fails and the health says so; nothing stale is answered.
    auth0.state.revoke('m2m-access');
    const after = await c.json<Cred>('POST', `/v1/credentials/${cred.body.id}/health-reports`, { status_code: 401 });
    expect(after.status).toBe(200);
    expect(after.body.health.status).toBe('error');
    const refused = await c.json<{ summary: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(refused.status).toBe(409);
    expect(refused.body.summary).toContain('Auth0');
    // Asked again at once: answered from the recorded refusal, the provider is not asked again.
    const calls = auth0.calls.count('token');
    expect((await c.req('POST', `/v1/credentials/${cred.body.id}/access-token`)).statusCode).toBe(409);
    expect(auth0.calls.count('token')).toBe(calls);
    // A minute later (the refusal is older) and fixed at the provider: one fresh attempt works.
    await sql`update credentials set health = jsonb_set(health, '{checked_at}', to_jsonb(${new Date(Date.now() - 120_000).toISOString()}::text)) where id = ${cred.body.id}`.execute(
      h.rt.store.db,
    );
    auth0.state.addClient('m2m-access', clientSecret, { tenant: 'acme.us.auth0.com', scope: 'read:users' });
    const fixed = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(fixed.status).toBe(200);
    expect(auth0.state.accessTokens.has(fixed.body.access_token)).toBe(true);
    expect(auth0.calls.count('token')).toBe(calls + 1);
    // No longer `error`: pending, with a check due at once.
    const after2 = await c.json<Cred & { health: { next_check_at: string | null } }>(
      'GET',
      `/v1/credentials/${cred.body.id}`,
    );
    expect(after2.body.health.status).toBe('pending');
    expect(after2.body.health.notes[0]).toContain('worked again');
  });

  it("an OAuth app's health follows its credentials' refreshes: error when the provider refuses the app, pending after a fix, ok once a refresh works", async () => {
    const hub = fakes.byProvider.hubspot;
    hub.state.addClient('client-hub-apphealth', `${MARKER}-right-secret`);
    const refresh = `${MARKER}-apphealth-rt`;
    hub.state.addRefreshToken(refresh, { hub_id: 4321, scopes: ['crm.objects.contacts.read'] });
    hub.state.addAccessToken(`${MARKER}-apphealth-at`, { hub_id: 4321, scopes: ['crm.objects.contacts.read'] });
    // Registered with the wrong client id: HubSpot answers BAD_CLIENT_ID to the refresh.
    const app = await c.json<{ id: string; health: { status: string } }>('POST', '/v1/oauth-apps', {
      name: 'hub-apphealth',
      provider: 'hubspot',
      client_id: 'client-hub-wrong',
      client_secret: `${MARKER}-right-secret`,
    });
    expect(app.body.health.status).toBe('pending');
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: app.body.id,
      properties: {
        kind: 'hubspot',
        hub_id: 4321,
        refresh_token: refresh,
        access_token: `${MARKER}-apphealth-at`,
        scopes: [],
        expires_at: '2020-01-01T00:00:00Z',
      },
    });
    const checked = await c.json<Cred>('POST', `/v1/credentials/${cred.body.id}/check`);
    expect(checked.body.health).toMatchObject({ status: 'error', reason: 'misconfigured' });

    type AppHealth = { status: string; notes: string[]; reason?: string };
    const broken = await c.json<{ health: AppHealth }>('GET', `/v1/oauth-apps/${app.body.id}`);
    expect(broken.body.health).toMatchObject({ status: 'error', reason: 'misconfigured' });
    expect(broken.body.health.notes[0]).toContain("rejected the OAuth app's client id or secret");
    expect(broken.body.health.notes[1]).toContain(cred.body.id);
    // The embedded app in a credential still has no health (api.md).
    expect(
      Object.keys(
        (await c.json<Cred & { oauth_app: object }>('GET', `/v1/credentials/${cred.body.id}`)).body.oauth_app,
      ),
    ).not.toContain('health');

    // The fix is a new app (client_id cannot change); changing its secret or settings resets its health.
    const fixedApp = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'hub-apphealth-2',
      provider: 'hubspot',
      client_id: 'client-hub-apphealth',
      client_secret: 'not-yet-right',
    });
    const patched = await c.json<{ health: AppHealth }>('PATCH', `/v1/oauth-apps/${fixedApp.body.id}`, {
      client_secret: `${MARKER}-right-secret`,
    });
    expect(patched.body.health.status).toBe('pending');
    expect(patched.body.health.notes[0]).toContain('changed');
    const moved = await c.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: fixedApp.body.id,
      properties: { kind: 'hubspot', hub_id: 4321, refresh_token: refresh, scopes: [] },
    });
    expect(moved.body.id).toBe(cred.body.id);
    const t = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(t.status).toBe(200);
    const ok = await c.json<{ health: AppHealth }>('GET', `/v1/oauth-apps/${fixedApp.body.id}`);
    expect(ok.body.health.status).toBe('ok');
    for (const a of [broken.body, patched.body, ok.body]) expect(JSON.stringify(a)).not.toContain(MARKER);
  });

  it('a kind without a bearer token answers 422 saying what it uses instead', async () => {
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      properties: {
        kind: 'netsuite_tba',
        account_id: '1234567_SB1',
        consumer_key: 'ck-access',
        consumer_secret: `${MARKER}-cs`,
        token_id: 'tok-access',
        token_secret: `${MARKER}-ts`,
      },
    });
    expect(cred.status).toBe(200);
    const res = await c.json<{ summary: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(res.status).toBe(422);
    expect(res.body.summary).toContain('OAuth 1.0a');
    expect(JSON.stringify(res.body)).not.toContain(MARKER);
  });
});
