/** OAuth app settings: each provider's known plain settings; any other setting is secret by default. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('OAuth app settings secrecy on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('seals and masks settings it does not know (pem, signing_key, apikey), keeps known plain ones readable', async () => {
    const res = await c.json<{ id: string; settings: Record<string, unknown> }>('POST', '/v1/oauth-apps', {
      name: 'gh',
      provider: 'github',
      client_id: 'Iv1.x',
      client_secret: 'cs',
      settings: {
        app_id: 42,
        pem: 'PEM-SecretValue1',
        signing_key: 'SK-SecretValue2',
        apikey: 'AK-SecretValue3',
        hosts: 'api.github.com',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.settings.app_id).toBe(42);
    expect(res.body.settings.hosts).toBe('api.github.com');
    for (const k of ['pem', 'signing_key', 'apikey']) expect(res.body.settings[k], k).toMatch(/^\*+$/);
    const row = await h.rt.store.db
      .selectFrom('oauth_apps')
      .select(['settings', 'settings_secrets'])
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    const stored = JSON.stringify(row.settings) + JSON.stringify(row.settings_secrets);
    expect(stored).not.toMatch(/SecretValue/);
    expect(Object.keys(row.settings_secrets as Record<string, string>).sort()).toEqual([
      'apikey',
      'pem',
      'signing_key',
    ]);
    // Revealed with secrets:reveal, as any secret.
    const revealed = await c.json<{ data: Array<{ id: string; settings: Record<string, unknown> }> }>(
      'GET',
      '/v1/oauth-apps?truncate_secrets=false',
    );
    expect(revealed.body.data.find((a) => a.id === res.body.id)?.settings.pem).toBe('PEM-SecretValue1');
  });

  it("keeps a provider's known plain settings plain (Salesforce login_url, Auth0 audience)", async () => {
    const sf = await c.json<{ settings: Record<string, unknown> }>('POST', '/v1/oauth-apps', {
      name: 'sf',
      provider: 'salesforce',
      client_id: 'x',
      client_secret: 'y',
      settings: { login_url: 'https://test.salesforce.com' },
    });
    expect(sf.body.settings.login_url).toBe('https://test.salesforce.com');
    const a0 = await c.json<{ settings: Record<string, unknown> }>('POST', '/v1/oauth-apps', {
      name: 'a0',
      provider: 'auth0',
      client_id: 'x',
      client_secret: 'y',
      settings: { audience: 'https://api.example.com/', login_url: 'https://elsewhere' },
    });
    expect(a0.body.settings.audience).toBe('https://api.example.com/');
    // login_url is Salesforce's: on Auth0 it is unknown, so secret.
    expect(a0.body.settings.login_url).toMatch(/^\*+$/);
  });
});
