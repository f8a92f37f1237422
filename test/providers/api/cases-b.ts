/** Table rows, quickbooks … workday, and the refresh table. */
import { registerApp } from '../../fakes/harness.js';
import { CASES_A } from './cases-a.js';
import { secret, type ProviderCase, type RefreshCase } from './case-types.js';

export const CASES_B: ProviderCase[] = [
  {
    provider: 'quickbooks',
    kind: 'quickbooks_oauth2',
    display: 'QuickBooks',
    route: 'companyinfo',
    seed: (fake) => {
      const info = { realm_id: '9130350000000001', company: 'Acme Books' };
      const access = secret('at');
      const refresh = secret('rt');
      fake.state.addAccessToken(access, info);
      fake.state.addRefreshToken(refresh, info);
      return {
        props: { realm_id: '9130350000000001', refresh_token: refresh, access_token: access, environment: 'sandbox' },
        oauthApp: registerApp(fake),
      };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: '9130350000000001',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'salesforce',
    kind: 'salesforce_oauth2',
    display: 'Salesforce',
    route: 'userinfo',
    seed: (fake) => {
      const info = {
        org_id: '00D5g000004AbCdEAK',
        user_id: '0055g00000XyZ12AAB',
        instance_url: 'https://acme.my.salesforce.com',
      };
      const access = secret('at');
      const refresh = secret('rt');
      fake.state.addAccessToken(access, info);
      fake.state.addRefreshToken(refresh, info);
      return {
        props: { instance_url: 'https://acme.my.salesforce.com', refresh_token: refresh, access_token: access },
        oauthApp: registerApp(fake),
      };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: '00D5g000004AbCdEAK',
    learned: { org_id: '00D5g000004AbCdEAK', user_id: '0055g00000XyZ12AAB' },
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: undefined,
  },
  {
    provider: 'sendgrid',
    kind: 'sendgrid_key',
    display: 'SendGrid',
    route: 'scopes',
    seed: (fake) => {
      const key = `SG.${secret('key')}`;
      fake.state.addAccessToken(key, { scopes: ['mail.send', 'user.username.read'], username: 'acme', user_id: 4455 });
      return { props: { api_key: key } };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.api_key)),
    revokedReason: 'unauthorized',
    accountId: '4455',
    scopes: ['mail.send', 'user.username.read'],
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: [5, 7],
  },
  {
    provider: 'servicenow',
    kind: 'servicenow_oauth2',
    display: 'ServiceNow',
    route: 'table',
    seed: (fake) => {
      const refresh = secret('rt');
      fake.state.addRefreshToken(refresh, {
        sys_id: '6816f79cc0a8016401c5a33be04be441',
        user_name: 'integration.user',
      });
      return {
        props: { instance_url: 'https://acme.service-now.com', refresh_token: refresh },
        oauthApp: registerApp(fake),
      };
    },
    // No access token is stored: identify() refreshes first, and the revoked grant fails there.
    revoke: (fake, s) => fake.state.revoke(String(s.props.refresh_token)),
    revokedReason: 'invalid_grant',
    accountId: 'acme.service-now.com',
    learned: { username: 'integration.user' },
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'shopify',
    kind: 'shopify_oauth2',
    display: 'Shopify',
    route: 'shop',
    seed: (fake) => {
      const token = `shpat_${secret('token')}`;
      fake.state.addAccessToken(token, { shop_id: 548380009, shop: 'acme.myshopify.com' });
      return { props: { shop: 'acme.myshopify.com', access_token: token, scope: 'read_products' } };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: '548380009',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'stripe',
    kind: 'stripe_key',
    display: 'Stripe',
    route: 'account',
    seed: (fake) => {
      const key = `rk_test_${secret('key')}`;
      fake.state.addAccessToken(key, { account_id: 'acct_1Nv0FGQ9RKHgCVdK' });
      return { props: { secret: key, test: true } };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.secret)),
    revokedReason: 'unauthorized',
    accountId: 'acct_1Nv0FGQ9RKHgCVdK',
    learned: { account_id: 'acct_1Nv0FGQ9RKHgCVdK' },
    forbidden: 'missing_scope',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: undefined,
  },
  {
    provider: 'workday',
    kind: 'workday_oauth2',
    display: 'Workday',
    route: 'workers',
    seed: (fake) => {
      const refresh = secret('rt');
      fake.state.addRefreshToken(refresh, { tenant: 'acme', worker_id: '3aa5550b7fe348b98d7b5741afc65534' });
      return {
        props: { host: 'wd2-impl-services1.workday.com', tenant: 'acme', refresh_token: refresh },
        oauthApp: registerApp(fake),
      };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.refresh_token)),
    revokedReason: 'invalid_grant',
    accountId: 'acme',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
];

export const CASES: ProviderCase[] = [...CASES_A, ...CASES_B];

const seedOf = (provider: string): ProviderCase['seed'] => {
  const c = CASES.find((x) => x.provider === provider);
  if (!c) throw new Error(`no case for ${provider}`);
  return c.seed;
};

/** Every kind with a refresh(), seeded like the identify table (Stripe through Connect). */
export const REFRESH_CASES: RefreshCase[] = [
  ...['airtable', 'hubspot', 'linear', 'quickbooks', 'salesforce', 'servicenow', 'workday'].map((provider) => {
    const c = CASES.find((x) => x.provider === provider);
    if (!c) throw new Error(provider);
    return {
      name: provider,
      display: c.display,
      provider: c.provider,
      route: 'token',
      kind: c.kind,
      seed: c.seed,
      refreshField: 'refresh_token',
      expires: provider !== 'salesforce',
    };
  }),
  {
    name: 'stripe (Connect)',
    display: 'Stripe',
    route: 'token',
    provider: 'stripe',
    kind: 'stripe_oauth2',
    refreshField: 'refresh_token',
    expires: false,
    seed: (fake) => {
      const refresh = secret('rt');
      fake.state.addRefreshToken(refresh, { account_id: 'acct_1Connected000000' });
      // The platform's secret key is the Connect client secret.
      const app = { clientId: 'ca_platform', clientSecret: `sk_test_${secret('platform')}`, settings: {} };
      fake.state.addClient(app.clientId, app.clientSecret);
      return { props: { stripe_user_id: 'acct_1Connected000000', refresh_token: refresh }, oauthApp: app };
    },
  },
  {
    name: 'github',
    display: 'GitHub',
    provider: 'github',
    route: 'access_tokens',
    kind: 'github_app',
    seed: seedOf('github'),
    expires: true,
  },
  // Client-credentials kinds mint their token with the same grant their check runs.
  {
    name: 'auth0',
    display: 'Auth0',
    provider: 'auth0',
    route: 'token',
    kind: 'auth0_client_credentials',
    seed: seedOf('auth0'),
    expires: true,
  },
  {
    name: 'marketo',
    display: 'Marketo',
    provider: 'marketo',
    route: 'token',
    kind: 'marketo_client_credentials',
    seed: seedOf('marketo'),
    expires: true,
  },
];
