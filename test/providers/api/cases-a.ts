/** Table rows, airtable … netsuite. */
import { generateKeyPairSync } from 'node:crypto';
import { registerApp } from '../../fakes/harness.js';
import { secret, type ProviderCase } from './case-types.js';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
export const GITHUB_KEY = pem();
const OTHER_KEY = pem();

export const CASES_A: ProviderCase[] = [
  {
    provider: 'airtable',
    kind: 'airtable_oauth2',
    display: 'Airtable',
    route: 'whoami',
    seed: (fake) => {
      const info = { uid: 'usrAbc123XYZ', scope: 'data.records:read schema.bases:read' };
      const access = secret('at');
      const refresh = secret('rt');
      fake.state.addAccessToken(access, info);
      fake.state.addRefreshToken(refresh, info);
      return {
        props: { refresh_token: refresh, access_token: access, scope: info.scope },
        oauthApp: registerApp(fake),
      };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: 'usrAbc123XYZ',
    learned: { airtable_uid: 'usrAbc123XYZ' },
    scopes: ['data.records:read', 'schema.bases:read'],
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 30,
  },
  {
    provider: 'auth0',
    kind: 'auth0_client_credentials',
    display: 'Auth0',
    route: 'token',
    seed: (fake) => {
      const cs = secret('client-secret');
      fake.state.addClient('m2m-client-1', cs, { tenant: 'acme.us.auth0.com', scope: 'read:users read:clients' });
      return { props: { domain: 'login.acme.example', client_id: 'm2m-client-1', client_secret: cs } };
    },
    revoke: (fake) => fake.state.revoke('m2m-client-1'),
    revokedReason: 'unauthorized',
    accountId: 'acme.us.auth0.com',
    scopes: ['read:users', 'read:clients'],
    forbidden: 'missing_scope',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: [5, 7],
  },
  {
    provider: 'checkout_champ',
    kind: 'checkout_champ_password',
    display: 'Checkout Champ',
    route: 'campaign_query',
    seed: (fake) => {
      const pw = secret('password');
      fake.state.addClient('acme-api', pw);
      return { props: { login_id: 'acme-api', password: pw } };
    },
    revoke: (fake) => fake.state.revoke('acme-api'),
    revokedReason: 'unauthorized',
    accountId: 'acme-api',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'github',
    kind: 'github_app',
    display: 'GitHub',
    route: 'installation',
    seed: (fake) => {
      fake.state.records.set('app', { app_id: '12345', public_key: GITHUB_KEY.pub });
      fake.state.records.set('installation:4242', { login: 'acme', account_id: '99', type: 'Organization' });
      return {
        props: { installation_id: 4242 },
        oauthApp: {
          clientId: 'Iv1.abc',
          clientSecret: secret('gh-client'),
          settings: { app_id: '12345', private_key: GITHUB_KEY.priv },
        },
      };
    },
    // The App's key was deleted and another one registered: the JWT no longer verifies.
    revoke: (fake) => fake.state.records.set('app', { app_id: '12345', public_key: OTHER_KEY.pub }),
    revokedReason: 'unauthorized',
    accountId: '4242',
    learned: { account_login: 'acme', account_type: 'Organization' },
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: [5, 7],
  },
  {
    provider: 'hubspot',
    kind: 'hubspot_oauth2',
    display: 'HubSpot',
    route: 'introspect',
    seed: (fake) => {
      const info = {
        hub_id: 62515,
        user_id: 123456,
        user: 'ops@acme.example',
        hub_domain: 'acme.hubspot.com',
        scopes: ['oauth', 'crm.objects.contacts.read'],
      };
      const access = secret('at');
      const refresh = secret('rt');
      fake.state.addAccessToken(access, info);
      fake.state.addRefreshToken(refresh, info);
      return {
        props: { hub_id: 62515, refresh_token: refresh, access_token: access, scopes: info.scopes },
        oauthApp: registerApp(fake),
      };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: '62515',
    learned: { hub_domain: 'acme.hubspot.com', hubspot_user: 'ops@acme.example', hubspot_user_id: '123456' },
    scopes: ['oauth', 'crm.objects.contacts.read'],
    forbidden: 'missing_scope',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'linear',
    kind: 'linear_oauth2',
    display: 'Linear',
    route: 'graphql',
    seed: (fake) => {
      const info = { user_id: 'user-1', org_id: '8f2a6e0c-org', org_name: 'Acme Inc', scope: 'read' };
      const access = secret('at');
      const refresh = secret('rt');
      fake.state.addAccessToken(access, info);
      fake.state.addRefreshToken(refresh, info);
      return { props: { access_token: access, refresh_token: refresh, scope: 'read' }, oauthApp: registerApp(fake) };
    },
    revoke: (fake, s) => fake.state.revoke(String(s.props.access_token)),
    revokedReason: 'unauthorized',
    accountId: '8f2a6e0c-org',
    learned: { linear_org_id: '8f2a6e0c-org', linear_org_name: 'Acme Inc' },
    forbidden: 'forbidden',
    notFound: 'provider_error',
    rateLimited: 'rate_limited',
    retryAfter: [5, 7],
  },
  {
    provider: 'marketo',
    kind: 'marketo_client_credentials',
    display: 'Marketo',
    route: 'token',
    seed: (fake) => {
      const cs = secret('client-secret');
      fake.state.addClient('mkto-client', cs, { api_user: 'api@acme.example' });
      return { props: { munchkin_id: '123-ABC-456', client_id: 'mkto-client', client_secret: cs } };
    },
    revoke: (fake) => fake.state.revoke('mkto-client'),
    revokedReason: 'unauthorized',
    accountId: '123-ABC-456',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: 7,
  },
  {
    provider: 'netsuite',
    kind: 'netsuite_tba',
    display: 'NetSuite',
    route: 'catalog',
    seed: (fake) => {
      const cs = secret('consumer-secret');
      const ts = secret('token-secret');
      fake.state.addClient('ck-0001', cs);
      fake.state.addAccessToken('tok-0002', { realm: '1234567_SB1', token_secret: ts });
      return {
        props: {
          account_id: '1234567_SB1',
          consumer_key: 'ck-0001',
          consumer_secret: cs,
          token_id: 'tok-0002',
          token_secret: ts,
        },
      };
    },
    revoke: (fake) => fake.state.revoke('tok-0002'),
    revokedReason: 'unauthorized',
    accountId: '1234567_SB1',
    forbidden: 'forbidden',
    notFound: 'not_found',
    rateLimited: 'rate_limited',
    retryAfter: undefined,
  },
];
