/**
 * One example `properties` per kind, shown in the OpenAPI document (the import body's
 * discriminated union). The mapped type makes the compiler refuse a missing kind; a test
 * parses each example with its kind's own schema, so an example cannot drift from the rules.
 */
import type { Kind } from './registry.js';

export const KIND_EXAMPLES: { readonly [K in Kind]: Readonly<Record<string, unknown>> } = {
  stripe_key: { secret: 'sk_live_51Habc123', name: 'Choam Stripe' },
  stripe_oauth2: {
    stripe_user_id: 'acct_1Habc123',
    access_token: 'sk_live_tok',
    refresh_token: 'rt_abc',
    livemode: true,
    scope: 'read_write',
  },
  salesforce_oauth2: {
    instance_url: 'https://acme.my.salesforce.com',
    refresh_token: '5Aep861abc',
    org_id: '00D000000000001',
  },
  hubspot_oauth2: {
    hub_id: 123,
    refresh_token: 'rt-hub',
    scopes: ['crm.objects.contacts.read'],
    hub_domain: 'acme.com',
  },
  github_app: { installation_id: 4567, account_login: 'acme', account_type: 'Organization' },
  airtable_oauth2: { refresh_token: 'rt-air', scope: 'data.records:read schema.bases:read', airtable_uid: 'usrABC' },
  linear_oauth2: { access_token: 'lin_oauth_abc', scope: 'read', linear_org_id: 'org-1', linear_org_name: 'Acme' },
  checkout_champ_password: { login_id: 'api-user', password: 'pw-secret' },
  shopify_oauth2: { shop: 'acme.myshopify.com', access_token: 'shpat_abc', scope: 'read_orders' },
  quickbooks_oauth2: { realm_id: '9130347', refresh_token: 'AB11-rt' },
  netsuite_tba: {
    account_id: '1234567_SB1',
    consumer_key: 'ck',
    consumer_secret: 'cs',
    token_id: 'tid',
    token_secret: 'ts',
  },
  marketo_client_credentials: { munchkin_id: '123-ABC-456', client_id: 'cid', client_secret: 'csec' },
  sendgrid_key: { api_key: 'SG.abc.def', name: 'Mailer' },
  servicenow_oauth2: { instance_url: 'https://acme.service-now.com', refresh_token: 'sn-rt', username: 'admin' },
  workday_oauth2: { host: 'wd2-impl-services1.workday.com', tenant: 'acme_dpt1', refresh_token: 'wd-rt' },
  auth0_client_credentials: { domain: 'acme.us.auth0.com', client_id: 'cid0', client_secret: 'csec0' },
};
