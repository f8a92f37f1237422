/**
 * Workday OAuth (refresh token grant against the tenant's token endpoint).
 * https://doc.workday.com/admin-guide/en-us/authentication-and-security/authentication/oauth/
 */
import { hostname, kindObject, secret, text } from '../normalize.js';
import type { KindSpec, TenantHostRule } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedCachedToken } from './oauth-common.js';
import { tokens } from '../connect.js';
import { bearerOnHost } from '../proxy.js';

/** Workday tenants live under workday.com and myworkday.com (wd2-impl-services1.workday.com, wd5-services1.myworkday.com). */
export const WORKDAY_TENANT_HOST: TenantHostRule = {
  field: 'host',
  form: 'host',
  suffixes: ['workday.com', 'myworkday.com'],
  appBound: true,
};

const schema = kindObject('workday_oauth2', {
  host: hostname('wd2-impl-services1.workday.com'),
  tenant: text(),
  refresh_token: secret(),
  ...expiryFields,
});

export const workdayOauth2 = {
  kind: 'workday_oauth2',
  provider: 'workday',
  aliases: [],
  schema,
  secretFields: ['refresh_token'],
  oauthApp: 'required',
  ...refreshedCachedToken,
  learnable: [],
  tenantHosts: [{ field: 'host', host: (host) => host }],
  // A host name cannot contain `|`, so `host:<h>|tenant:<t>` never collides.
  connect: {
    // https://{host}/ccx/oauth2/{tenant}/authorize and /token (Basic); host and tenant given at start-auth.
    // https://doc.workday.com/admin-guide/en-us/authentication-and-security/authentication/oauth/
    flow: 'oauth',
    requires: ['host', 'tenant'],
    authorizeUrl: (i) =>
      `https://${i.props.host ?? ''}/ccx/oauth2/${encodeURIComponent(i.props.tenant ?? '')}/authorize`,
    tokenUrl: (i) => `https://${i.props.host ?? ''}/ccx/oauth2/${encodeURIComponent(i.props.tenant ?? '')}/token`,
    clientAuth: 'basic',
    defaultScopes: [],
    scopeSeparator: ' ',
    extraParams: {},
    pkce: false,
    properties: (reply, _q, start) => ({ host: start.host, tenant: start.tenant, ...tokens(reply, false) }),
  },
  proxy: bearerOnHost('host'),
  identity: (p) => ({ value: `host:${p.host}|tenant:${p.tenant}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
  tenantHost: WORKDAY_TENANT_HOST,
} satisfies KindSpec<typeof schema, 'workday_oauth2'>;
