/**
 * Auth0 machine-to-machine application (client credentials grant). The domain may be a
 * tenant domain or a custom domain.
 * https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow
 */
import { hostname, kindObject, secret, text } from '../normalize.js';
import type { KindSpec, TenantHostRule } from '../types.js';
import { secretInput, textInput } from '../connect.js';
import { bearerOnHost } from '../proxy.js';

/**
 * Auth0 tenant domains end in auth0.com (acme.us.auth0.com); a custom domain must be allowed by
 * the operator (CREDVAULT_PROVIDER_HOSTS_AUTH0) and, with an OAuth app, named by the app.
 */
export const AUTH0_TENANT_HOST: TenantHostRule = {
  field: 'domain',
  form: 'host',
  suffixes: ['auth0.com'],
  appBound: true,
};

const schema = kindObject('auth0_client_credentials', {
  domain: hostname('acme.us.auth0.com'),
  client_id: text(),
  client_secret: secret(),
});

export const auth0ClientCredentials = {
  kind: 'auth0_client_credentials',
  provider: 'auth0',
  aliases: [],
  schema,
  secretFields: ['client_secret'],
  oauthApp: 'optional',
  accessToken: { from: 'mint', checkNeedsToken: false },
  tokenField: null,
  expiryField: null,
  learnable: [],
  tenantHosts: [{ field: 'domain', host: (domain) => domain }],
  connect: {
    flow: 'key',
    fields: [
      textInput('domain', 'Auth0 domain'),
      textInput('client_id', 'Client id'),
      secretInput('client_secret', 'Client secret'),
    ],
  },
  // Management API tokens are minted with the client credentials grant.
  // https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens
  proxy: bearerOnHost('domain'),
  identity: (p) => ({ value: `domain:${p.domain}|client:${p.client_id}` }),
  tenantHost: AUTH0_TENANT_HOST,
} satisfies KindSpec<typeof schema, 'auth0_client_credentials'>;
