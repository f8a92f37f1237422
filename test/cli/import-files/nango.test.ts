/** Nango connection objects → credvault import bodies, and those bodies import for real. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SPECS } from '../../../src/providers/registry.js';
import { type Kind, PROVIDERS } from '../../../src/providers/registry.js';
import { type Json, NANGO_PROVIDERS, mapNangoConnection, parseOAuthAppOptions } from '../../../src/cli/import/nango.js';
import { createOAuthApp } from '../../support/api.js';
import { type Harness, startHarness } from '../../support/harness.js';

const APP = '8ff58ef0-d376-4ae8-b2e2-9f0206aa65b8';
const APPS = {
  salesforce: APP,
  hubspot: APP,
  github: APP,
  airtable: APP,
  linear: APP,
  shopify: APP,
  quickbooks: APP,
  stripe: APP,
  servicenow: APP,
};
const EXP = '2030-03-08T16:57:52.473Z';

/** A connection as GET /connection/{connectionId} answers it. */
function conn(provider: string, credentials: Json, connection_config: Json = {}, extra: Json = {}): Json {
  return {
    id: 1,
    connection_id: `conn-${provider}`,
    provider_config_key: `${provider}-prod`,
    provider,
    connection_config,
    credentials,
    metadata: { owner: 'u1' },
    created_at: '2026-01-01T00:00:00.000Z',
    ...extra,
  };
}
const oauth2 = (raw: Json = {}, extra: Json = {}): Json => ({
  type: 'OAUTH2',
  access_token: 'at',
  refresh_token: 'rt',
  expires_at: EXP,
  raw: { access_token: 'at', ...raw },
  ...extra,
});

const TABLE: [string, Json, Json][] = [
  [
    'salesforce',
    conn(
      'salesforce',
      oauth2({
        instance_url: 'https://acme.my.salesforce.com',
        id: 'https://login.salesforce.com/id/00D5e000000ABCD/0055e000001XyZ',
      }),
      { instance_url: 'https://acme.my.salesforce.com' },
    ),
    {
      kind: 'salesforce_oauth2',
      instance_url: 'https://acme.my.salesforce.com',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
      org_id: '00D5e000000ABCD',
      user_id: '0055e000001XyZ',
    },
  ],
  [
    'salesforce-sandbox',
    conn('salesforce-sandbox', oauth2({ instance_url: 'https://acme--dev.sandbox.my.salesforce.com' })),
    {
      kind: 'salesforce_oauth2',
      instance_url: 'https://acme--dev.sandbox.my.salesforce.com',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
    },
  ],
  [
    'hubspot',
    conn('hubspot', oauth2({ token_type: 'bearer', expires_in: 1800 }), { portalId: 4242 }),
    { kind: 'hubspot_oauth2', hub_id: '4242', access_token: 'at', refresh_token: 'rt', expires_at: EXP, scopes: [] },
  ],
  [
    'github-app',
    conn(
      'github-app',
      { type: 'APP', access_token: 'ghs_x', expires_at: EXP, raw: {} },
      { installation_id: 987654, app_id: '12345' },
    ),
    { kind: 'github_app', installation_id: '987654' },
  ],
  [
    'airtable',
    conn('airtable', oauth2({ scope: 'data.records:read schema.bases:read' })),
    {
      kind: 'airtable_oauth2',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
      scope: 'data.records:read schema.bases:read',
    },
  ],
  [
    'linear',
    conn('linear', oauth2({ scope: ['read', 'write'] }, { refresh_token: undefined })),
    { kind: 'linear_oauth2', access_token: 'at', expires_at: EXP, scope: 'read write' },
  ],
  [
    'shopify',
    conn('shopify', oauth2({ scope: 'read_orders,read_products' }), { subdomain: 'Acme-Store' }),
    {
      kind: 'shopify_oauth2',
      shop: 'acme-store.myshopify.com',
      access_token: 'at',
      scope: 'read_orders,read_products',
      expires_at: EXP,
    },
  ],
  [
    'shopify-api-key',
    conn(
      'shopify-api-key',
      { type: 'API_KEY', apiKey: 'shpat_0123456789abcdef0123456789abcdef' },
      { subdomain: 'acme' },
    ),
    { kind: 'shopify_oauth2', shop: 'acme.myshopify.com', access_token: 'shpat_0123456789abcdef0123456789abcdef' },
  ],
  [
    'quickbooks',
    conn('quickbooks', oauth2({ x_refresh_token_expires_in: 8726400 }), { realmId: '9130350000000000' }),
    {
      kind: 'quickbooks_oauth2',
      realm_id: '9130350000000000',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
      environment: 'production',
    },
  ],
  [
    'quickbooks-sandbox',
    conn('quickbooks-sandbox', oauth2(), { realmId: '4620816365' }),
    {
      kind: 'quickbooks_oauth2',
      realm_id: '4620816365',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
      environment: 'sandbox',
    },
  ],
  [
    'stripe-api-key',
    conn(
      'stripe-api-key',
      { type: 'BASIC', username: 'rk_live_51On1GfAemfaBCd0eHq', password: '' },
      { context: 'acct_1aTnTtAAB0hHJ26p' },
    ),
    { kind: 'stripe_key', secret: 'rk_live_51On1GfAemfaBCd0eHq', account_id: 'acct_1aTnTtAAB0hHJ26p' },
  ],
  [
    'stripe (API_KEY)',
    conn('stripe', { type: 'API_KEY', apiKey: 'sk_live_nango_key' }),
    { kind: 'stripe_key', secret: 'sk_live_nango_key' },
  ],
  [
    'stripe (Connect)',
    conn('stripe', oauth2({ stripe_user_id: 'acct_connected1', livemode: true, scope: 'read_write' })),
    {
      kind: 'stripe_oauth2',
      stripe_user_id: 'acct_connected1',
      access_token: 'at',
      refresh_token: 'rt',
      expires_at: EXP,
      livemode: true,
      scope: 'read_write',
    },
  ],
  [
    'sendgrid',
    conn('sendgrid', { type: 'API_KEY', apiKey: 'SG.nango.key' }),
    { kind: 'sendgrid_key', api_key: 'SG.nango.key' },
  ],
  [
    'servicenow',
    conn('servicenow', oauth2(), { hostname: 'acme.service-now.com' }),
    { kind: 'servicenow_oauth2', instance_url: 'https://acme.service-now.com', refresh_token: 'rt' },
  ],
  [
    'servicenow (subdomain)',
    conn('servicenow', oauth2(), { subdomain: 'dev123' }),
    { kind: 'servicenow_oauth2', instance_url: 'https://dev123.service-now.com', refresh_token: 'rt' },
  ],
  [
    'auth0-cc',
    conn(
      'auth0-cc',
      { type: 'OAUTH2_CC', token: 'tok', client_id: 'cid', client_secret: 'csecret', expires_at: EXP, raw: {} },
      { hostname: 'acme.us.auth0.com', audience: 'https://api' },
    ),
    { kind: 'auth0_client_credentials', domain: 'acme.us.auth0.com', client_id: 'cid', client_secret: 'csecret' },
  ],
];

const FAILURES: [string, unknown, Partial<Record<string, string>>, RegExp][] = [
  ['an unmapped provider', conn('notion', oauth2()), APPS, /Nango provider "notion" has no credvault mapping/],
  ['not a connection', { hello: 'world' }, APPS, /not a Nango connection object/],
  [
    'a missing instance_url',
    conn('salesforce', oauth2()),
    APPS,
    /salesforce connection conn-salesforce: the connection has no connection_config\.instance_url/,
  ],
  [
    'a missing refresh token',
    conn('hubspot', oauth2({}, { refresh_token: undefined }), { portalId: 1 }),
    APPS,
    /no credentials\.refresh_token/,
  ],
  ['a missing portalId', conn('hubspot', oauth2()), APPS, /no connection_config\.portalId/],
  [
    'the wrong credential type',
    conn('sendgrid', oauth2()),
    APPS,
    /credentials\.type is OAUTH2; sendgrid is mapped from API_KEY credentials/,
  ],
  [
    'an auth0 user login',
    conn('auth0', oauth2(), { subdomain: 'acme' }),
    APPS,
    /auth0 user-login connections have no credvault kind/,
  ],
  [
    'no --oauth-app for a kind that needs one',
    conn('airtable', oauth2({ scope: 'a' })),
    {},
    /kind airtable_oauth2 needs an OAuth app: pass --oauth-app airtable=<OAuth app id>/,
  ],
];

describe('Nango mapping', () => {
  it.each(TABLE)('%s', (_name, connection, properties) => {
    const res = mapNangoConnection(connection, { oauthApps: APPS });
    expect(res).toEqual({
      ok: true,
      body: {
        name: connection.connection_id,
        properties,
        // The OAuth app given for the kind's provider is set, whether the kind needs one or not.
        ...(KIND_SPECS[properties.kind as Kind].provider in APPS ? { oauth_app_id: APP } : {}),
        metadata: {
          owner: 'u1',
          nango_connection_id: connection.connection_id,
          nango_provider_config_key: connection.provider_config_key,
        },
      },
    });
  });

  it.each(FAILURES)('reports %s', (_name, connection, apps, reason) => {
    const res = mapNangoConnection(connection, { oauthApps: apps });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.reason).toMatch(reason);
  });

  it('covers the providers the brief names', () => {
    for (const p of [
      'salesforce',
      'hubspot',
      'github-app',
      'airtable',
      'linear',
      'shopify',
      'quickbooks',
      'stripe',
      'sendgrid',
      'servicenow',
      'auth0-cc',
    ]) {
      expect(NANGO_PROVIDERS).toHaveProperty([p]);
    }
  });

  it('parses --oauth-app PROVIDER=ID pairs', () => {
    expect(parseOAuthAppOptions(['salesforce=abc', 'github=def'], PROVIDERS)).toEqual({
      apps: { salesforce: 'abc', github: 'def' },
      errors: [],
    });
    expect(parseOAuthAppOptions(['salesforce'], PROVIDERS).errors[0]).toMatch(/expected PROVIDER=ID/);
    expect(parseOAuthAppOptions(['nope=1'], PROVIDERS).errors[0]).toMatch(/unknown provider nope/);
  });
});

describe('mapped Nango bodies import as they are', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('pglite');
  });
  afterAll(async () => h?.close());

  it('every mapped connection of the table is accepted by a bulk import', async () => {
    const c = await h.newAccount();
    const apps: Record<string, string> = {};
    for (const p of [
      'salesforce',
      'hubspot',
      'github',
      'airtable',
      'linear',
      'shopify',
      'quickbooks',
      'stripe',
    ] as const)
      apps[p] = await createOAuthApp(c, p);
    // A ServiceNow app names the instances its secret may be sent to (issue 13 item 1).
    apps.servicenow = await createOAuthApp(c, 'servicenow', {
      settings: { hosts: 'acme.service-now.com, dev123.service-now.com' },
    });
    const items = TABLE.map(([, connection]) => {
      const res = mapNangoConnection(connection, { oauthApps: apps });
      if (!res.ok) throw new Error(res.reason);
      return res.body;
    });
    const res = await c.json<{ results: { status: number; error?: unknown }[] }>('POST', '/v1/credentials/bulk', {
      items,
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r, i) => [TABLE[i]?.[0], r.status, r.error ?? null])).toEqual(
      TABLE.map(([name]) => [name, 200, null]),
    );
  });
});
