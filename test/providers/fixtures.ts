/** One valid import per kind (kinds.md), with what the registry must answer for it. */
import { createHmac } from 'node:crypto';
import type { Kind, Provider } from '../../src/providers/registry.js';

export const ctx = {
  fingerprint: (s: string): string => createHmac('sha256', 'k').update(s).digest('hex'),
};
export const fp = (s: string): string => `fp:${ctx.fingerprint(s)}`;
export const NOW = new Date('2026-11-26T22:10:52.000Z');

export interface Fixture {
  provider: Provider;
  valid: Record<string, unknown>;
  identity: string;
  /** Set when the identity is a fingerprint of this secret field. */
  identitySecret?: string;
  required: string[];
  /** Optional fields of kinds.md, without the expiry fields every *_oauth2 kind adds. */
  optional: string[];
  secrets: string[];
  oauthApp: 'required' | 'optional';
  /** Where POST /access-token gets its token (kinds.md, KindSpec.accessToken). */
  tokenFrom: 'field' | 'refresh' | 'mint' | 'none';
}

export const FIXTURES: Record<Kind, Fixture> = {
  stripe_key: {
    provider: 'stripe',
    valid: { secret: 'sk_live_abc123', name: 'Choam Stripe' },
    identity: fp('sk_live_abc123'),
    identitySecret: 'secret',
    required: ['secret'],
    optional: ['test', 'name', 'account_id'],
    secrets: ['secret'],
    oauthApp: 'optional',
    tokenFrom: 'field',
  },
  stripe_oauth2: {
    provider: 'stripe',
    valid: {
      stripe_user_id: 'acct_123',
      access_token: 'sk_live_tok',
      refresh_token: 'rt_abc',
      livemode: true,
      scope: 'read_write',
    },
    identity: 'account:acct_123',
    required: ['stripe_user_id'],
    optional: ['access_token', 'refresh_token', 'livemode', 'scope'],
    secrets: ['access_token', 'refresh_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  salesforce_oauth2: {
    provider: 'salesforce',
    valid: { instance_url: 'https://acme.my.salesforce.com', refresh_token: '5Aep861', org_id: '00D000000000001' },
    identity: 'url:acme.my.salesforce.com',
    required: ['instance_url', 'refresh_token'],
    optional: ['access_token', 'org_id', 'user_id', 'name'],
    secrets: ['refresh_token', 'access_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  hubspot_oauth2: {
    provider: 'hubspot',
    valid: { hub_id: 123, refresh_token: 'rt-hub', scopes: ['crm.objects.contacts.read'], hub_domain: 'acme.com' },
    identity: 'hub:123',
    required: ['hub_id', 'refresh_token', 'scopes'],
    optional: ['hub_domain', 'access_token', 'hubspot_user', 'hubspot_user_id', 'name'],
    secrets: ['refresh_token', 'access_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  github_app: {
    provider: 'github',
    valid: { installation_id: 4567, account_login: 'acme', account_type: 'Organization' },
    identity: 'installation:4567',
    required: ['installation_id'],
    optional: ['account_login', 'account_type', 'name'],
    secrets: [],
    oauthApp: 'required',
    tokenFrom: 'mint',
  },
  airtable_oauth2: {
    provider: 'airtable',
    valid: { refresh_token: 'rt-air', scope: 'data.records:read schema.bases:read', airtable_uid: 'usrABC' },
    identity: 'user:usrABC',
    required: ['refresh_token', 'scope'],
    optional: ['airtable_uid', 'access_token'],
    secrets: ['refresh_token', 'access_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  linear_oauth2: {
    provider: 'linear',
    valid: { access_token: 'lin_oauth_abc', scope: 'read', linear_org_id: 'org-1', linear_org_name: 'Acme' },
    identity: 'org:org-1',
    // access_token may be left out when a refresh_token is given (finalize refuses neither).
    required: ['scope'],
    optional: ['access_token', 'linear_org_id', 'linear_org_name', 'refresh_token'],
    secrets: ['access_token', 'refresh_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  checkout_champ_password: {
    provider: 'checkout_champ',
    valid: { login_id: 'api-user', password: 'pw-secret' },
    identity: 'login:api-user',
    required: ['login_id', 'password'],
    optional: [],
    secrets: ['password'],
    oauthApp: 'optional',
    tokenFrom: 'none',
  },
  shopify_oauth2: {
    provider: 'shopify',
    valid: { shop: 'acme.myshopify.com', access_token: 'shpat_abc', scope: 'read_orders' },
    identity: 'shop:acme.myshopify.com',
    required: ['shop', 'access_token'],
    optional: ['scope'],
    secrets: ['access_token'],
    oauthApp: 'required',
    tokenFrom: 'field',
  },
  quickbooks_oauth2: {
    provider: 'quickbooks',
    valid: { realm_id: '9130347', refresh_token: 'AB11-rt' },
    identity: 'realm:9130347|production',
    required: ['realm_id', 'refresh_token'],
    optional: ['access_token', 'environment'],
    secrets: ['refresh_token', 'access_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  netsuite_tba: {
    provider: 'netsuite',
    valid: {
      account_id: '1234567_SB1',
      consumer_key: 'ck',
      consumer_secret: 'cs',
      token_id: 'tid',
      token_secret: 'ts',
    },
    identity: 'account:1234567_SB1',
    required: ['account_id', 'consumer_key', 'consumer_secret', 'token_id', 'token_secret'],
    optional: [],
    secrets: ['consumer_secret', 'token_secret'],
    oauthApp: 'optional',
    tokenFrom: 'none',
  },
  marketo_client_credentials: {
    provider: 'marketo',
    valid: { munchkin_id: '123-ABC-456', client_id: 'cid', client_secret: 'csec' },
    identity: 'munchkin:123-ABC-456',
    required: ['munchkin_id', 'client_id', 'client_secret'],
    optional: [],
    secrets: ['client_secret'],
    oauthApp: 'optional',
    tokenFrom: 'mint',
  },
  sendgrid_key: {
    provider: 'sendgrid',
    valid: { api_key: 'SG.abc.def', name: 'Mailer' },
    identity: fp('SG.abc.def'),
    identitySecret: 'api_key',
    required: ['api_key'],
    optional: ['name'],
    secrets: ['api_key'],
    oauthApp: 'optional',
    tokenFrom: 'field',
  },
  servicenow_oauth2: {
    provider: 'servicenow',
    valid: { instance_url: 'https://acme.service-now.com', refresh_token: 'sn-rt', username: 'admin' },
    identity: 'url:acme.service-now.com|user:admin',
    required: ['instance_url', 'refresh_token'],
    optional: ['username'],
    secrets: ['refresh_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  workday_oauth2: {
    provider: 'workday',
    valid: { host: 'wd2-impl-services1.workday.com', tenant: 'acme_dpt1', refresh_token: 'wd-rt' },
    identity: 'host:wd2-impl-services1.workday.com|tenant:acme_dpt1',
    required: ['host', 'tenant', 'refresh_token'],
    optional: [],
    secrets: ['refresh_token'],
    oauthApp: 'required',
    tokenFrom: 'refresh',
  },
  auth0_client_credentials: {
    provider: 'auth0',
    valid: { domain: 'acme.us.auth0.com', client_id: 'cid0', client_secret: 'csec0' },
    identity: 'domain:acme.us.auth0.com|client:cid0',
    required: ['domain', 'client_id', 'client_secret'],
    optional: [],
    secrets: ['client_secret'],
    oauthApp: 'optional',
    tokenFrom: 'mint',
  },
};

/** kinds.md aliases. */
export const ALIASES: Record<string, Kind> = {
  stripe: 'stripe_oauth2',
  stripe_oauth: 'stripe_oauth2',
  salesforce: 'salesforce_oauth2',
  hubspot: 'hubspot_oauth2',
  github: 'github_app',
  airtable: 'airtable_oauth2',
  linear: 'linear_oauth2',
  shopify: 'shopify_oauth2',
  quickbooks: 'quickbooks_oauth2',
};
