/**
 * OAuth app secrets go only to hosts the app names (issue 13 item 1, high): a token with only
 * credentials:write cannot send an account's app client secret to a host of its choosing by
 * importing a per-instance credential (Workday host, Auth0 domain, ServiceNow instance). Workday
 * and Auth0 hosts have suffix allowlists (plus CREDVAULT_PROVIDER_HOSTS_<P>); an app covers the
 * hosts in its `hosts` setting; refusals are 422 on the host field naming the app setting; a
 * stored credential whose host the app stopped covering is refused at check without a provider
 * call; each first use of an app secret toward a host is one audit event. Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApp } from '../fakes/harness.js';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from '../health/support.js';

type ErrorBody = { summary: string; validation_errors?: Record<string, string[]> };
type Cred = { id: string; health: { status: string; reason: string | null; notes: string[] } };
type Audit = { data: Array<{ action: string; oauth_app_id: string | null; detail: Record<string, unknown> }> };

describe.each(STORE_KINDS)('OAuth apps bound to hosts on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let owner: Client;
  let writer: Client;
  const apps: Record<string, { id: string; secret: string }> = {};
  beforeAll(async () => {
    fakes = await startFakes();
    h = await startHarness(store, { ...fakes.env, CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example' });
    owner = await h.newAccount();
    const t = await owner.json<{ token: string }>('POST', '/v1/api-tokens', {
      name: 'importer',
      scopes: ['credentials:write', 'credentials:read'],
    });
    expect(t.status).toBe(201);
    writer = {
      ...owner,
      token: t.body.token,
      req: (m, u, b, hd = {}) => owner.req(m, u, b, { ...hd, authorization: `Bearer ${t.body.token}` }),
      json: (m, u, b, hd = {}) => owner.json(m, u, b, { ...hd, authorization: `Bearer ${t.body.token}` }),
    };
    for (const [provider, hosts] of [
      ['servicenow', 'acme.service-now.com, *.acme-dev.service-now.com'],
      ['workday', 'wd2-impl-services1.workday.com'],
      ['auth0', 'login.acme.example'],
    ] as const) {
      const reg = registerApp(fakes.byProvider[provider]);
      const res = await owner.json<{ id: string }>('POST', '/v1/oauth-apps', {
        name: `${provider} app`,
        provider,
        client_id: reg.clientId,
        client_secret: reg.clientSecret,
        settings: { hosts },
      });
      expect(res.status).toBe(200);
      apps[provider] = { id: res.body.id, secret: reg.clientSecret };
    }
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  const sentSecret = (provider: 'servicenow' | 'workday' | 'auth0') =>
    fakes.byProvider[provider].calls.requests.filter((r) => {
      const basic = /^Basic (.+)$/.exec(String(r.headers.authorization ?? ''))?.[1];
      const secret = apps[provider]?.secret ?? '\u0000';
      return (
        r.body.includes(encodeURIComponent(secret)) ||
        r.body.includes(secret) ||
        (basic !== undefined && Buffer.from(basic, 'base64').toString().includes(secret))
      );
    }).length;

  it.each([
    [
      'workday',
      { kind: 'workday_oauth2', host: 'tenant.attacker.example', tenant: 't', refresh_token: `${MARKER}-rt` },
      'host',
      /workday\.com.*CREDVAULT_PROVIDER_HOSTS_WORKDAY/,
    ],
    [
      'workday',
      { kind: 'workday_oauth2', host: 'wd5-services1.myworkday.com', tenant: 't', refresh_token: `${MARKER}-rt` },
      'host',
      /settings\.hosts/,
    ],
    [
      'auth0',
      {
        kind: 'auth0_client_credentials',
        domain: 'login.attacker.example',
        client_id: 'c',
        client_secret: `${MARKER}-cs`,
      },
      'domain',
      /auth0\.com.*CREDVAULT_PROVIDER_HOSTS_AUTH0/,
    ],
    [
      'auth0',
      { kind: 'auth0_client_credentials', domain: 'evil.us.auth0.com', client_id: 'c', client_secret: `${MARKER}-cs` },
      'domain',
      /settings\.hosts/,
    ],
    [
      'servicenow',
      {
        kind: 'servicenow_oauth2',
        instance_url: 'https://free-instance.service-now.com',
        refresh_token: `${MARKER}-rt`,
      },
      'instance_url',
      /settings\.hosts/,
    ],
    [
      'servicenow',
      { kind: 'servicenow_oauth2', instance_url: 'https://acme-dev.service-now.com', refresh_token: `${MARKER}-rt` },
      'instance_url',
      /settings\.hosts/,
    ],
  ] as const)(
    '%s: an import naming a host the app does not cover is 422 on the host field (%#)',
    async (provider, props, field, message) => {
      const before = sentSecret(provider);
      const res = await writer.json<ErrorBody>('POST', '/v1/credentials', {
        oauth_app_id: apps[provider]?.id,
        properties: props,
      });
      expect(res.status).toBe(422);
      const reasons = res.body.validation_errors?.[`properties.${field}`] ?? [];
      expect(reasons.join(' ')).toMatch(message);
      if (/settings/.test(message.source)) expect(reasons.join(' ')).toContain(apps[provider]?.id ?? '?');
      expect(JSON.stringify(res.body)).not.toContain(MARKER);
      // Bulk imports answer the same per item.
      const bulk = await writer.json<{ results: Array<{ status: number; error?: ErrorBody }> }>(
        'POST',
        '/v1/credentials/bulk',
        { items: [{ oauth_app_id: apps[provider]?.id, properties: props }] },
      );
      expect(bulk.body.results[0]?.status).toBe(422);
      expect(Object.keys(bulk.body.results[0]?.error?.validation_errors ?? {})).toEqual([`properties.${field}`]);
      expect(sentSecret(provider)).toBe(before);
    },
  );

  it('an Auth0 credential without an app may use an allowed custom domain (its own secret goes there)', async () => {
    const res = await writer.json<Cred>('POST', '/v1/credentials', {
      properties: {
        kind: 'auth0_client_credentials',
        domain: 'login.acme.example',
        client_id: 'own-client',
        client_secret: `${MARKER}-own`,
      },
    });
    expect(res.status).toBe(200);
  });

  it('covered hosts work; the first use of the app secret toward each host is one audit event', async () => {
    const fake = fakes.byProvider.servicenow;
    const rt1 = `${MARKER}-sn-rt-1`;
    const rt2 = `${MARKER}-sn-rt-2`;
    fake.state.addRefreshToken(rt1, { sys_id: 'u1', user_name: 'integration.user' });
    fake.state.addRefreshToken(rt2, { sys_id: 'u2', user_name: 'other.user' });
    const a = await writer.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: apps.servicenow?.id,
      properties: { kind: 'servicenow_oauth2', instance_url: 'https://acme.service-now.com', refresh_token: rt1 },
    });
    expect(a.status).toBe(200);
    const b = await writer.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: apps.servicenow?.id,
      properties: {
        kind: 'servicenow_oauth2',
        instance_url: 'https://eu.acme-dev.service-now.com',
        refresh_token: rt2,
      },
    });
    expect(b.status).toBe(200);
    for (const id of [a.body.id, a.body.id, b.body.id]) {
      const checked = await owner.json<Cred>('POST', `/v1/credentials/${id}/check`);
      expect(checked.body.health.status).toBe('ok');
    }
    const audit = await owner.json<Audit>('GET', '/v1/audit-events');
    const sent = audit.body.data.filter(
      (e) => e.action === 'oauth_app.secret_sent_to_new_host' && e.oauth_app_id === apps.servicenow?.id,
    );
    expect(sent.map((e) => e.detail.host).sort()).toEqual(['acme.service-now.com', 'eu.acme-dev.service-now.com']);
    expect(JSON.stringify(audit.body)).not.toContain(MARKER);

    // The app stops covering a host: its stored credential is refused at check, no secret sent.
    const patched = await owner.json('PATCH', `/v1/oauth-apps/${apps.servicenow?.id}`, {
      settings: { hosts: 'acme.service-now.com' },
    });
    expect(patched.status).toBe(200);
    await h.rt.store.db
      .updateTable('credentials')
      .set({ token_expires_at: new Date(0) })
      .where('id', '=', b.body.id)
      .execute();
    const before = sentSecret('servicenow');
    const refused = await owner.json<Cred>('POST', `/v1/credentials/${b.body.id}/check`);
    expect(refused.body.health).toMatchObject({ status: 'error', reason: 'misconfigured' });
    expect(refused.body.health.notes.join(' ')).toMatch(/settings\.hosts/);
    expect((await owner.req('POST', `/v1/credentials/${b.body.id}/access-token`)).statusCode).toBe(409);
    expect(sentSecret('servicenow')).toBe(before);
  });
});
