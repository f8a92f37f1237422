/**
 * ServiceNow OAuth: the instance URL plus the user the grant belongs to.
 * https://docs.servicenow.com/csh?topicname=c_OAuthApplications.html
 */
import { instanceUrl, kindObject, secret, text, urlHostOf, urlIdentityHost } from '../normalize.js';
import type { KindSpec, TenantHostRule } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedCachedToken } from './oauth-common.js';
import { tokens } from '../connect.js';
import { hostOf } from '../proxy.js';

export const SERVICENOW_HOST_SUFFIXES = ['service-now.com'] as const;

/** Any free *.service-now.com instance exists: the app names the instances its secret may go to. */
export const SERVICENOW_TENANT_HOST: TenantHostRule = {
  field: 'instance_url',
  form: 'url',
  suffixes: SERVICENOW_HOST_SUFFIXES,
  appBound: true,
};

export function createServicenowOauth2(extraHosts: readonly string[] = []) {
  const schema = kindObject('servicenow_oauth2', {
    instance_url: instanceUrl([...SERVICENOW_HOST_SUFFIXES, ...extraHosts], 'https://acme.service-now.com'),
    refresh_token: secret(),
    username: text().optional(),
    ...expiryFields,
  });
  return {
    kind: 'servicenow_oauth2',
    provider: 'servicenow',
    aliases: [],
    schema,
    secretFields: ['refresh_token'],
    oauthApp: 'required',
    ...refreshedCachedToken,
    learnable: ['username'],
    tenantHosts: [{ field: 'instance_url', host: urlHostOf }],
    // The host cannot contain `|`, so `url:<host>|user:<name>` never collides.
    connect: {
      // {instance_url}/oauth_auth.do and /oauth_token.do; the instance is given at start-auth.
      // https://www.servicenow.com/docs/bundle/zurich-platform-security/page/administer/security/concept/c_OAuthApplications.html
      flow: 'oauth',
      requires: ['instance_url'],
      authorizeUrl: (i) => `${(i.props.instance_url ?? '').replace(/\/+$/, '')}/oauth_auth.do`,
      tokenUrl: (i) => `${(i.props.instance_url ?? '').replace(/\/+$/, '')}/oauth_token.do`,
      clientAuth: 'form',
      defaultScopes: ['useraccount'],
      scopeSeparator: ' ',
      extraParams: {},
      pkce: false,
      properties: (reply, _q, start) => ({ instance_url: start.instance_url, ...tokens(reply, false) }),
    },
    // https://docs.servicenow.com/bundle/latest/page/integrate/inbound-rest/concept/c_RESTAPI.html
    proxy: { base: (p) => hostOf(p, 'instance_url'), auth: { scheme: 'bearer' } },
    identity: (p) => {
      const url = `url:${urlIdentityHost(p.instance_url)}`;
      return { value: p.username === undefined ? url : `${url}|user:${p.username}` };
    },
    finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
    tenantHost: SERVICENOW_TENANT_HOST,
  } satisfies KindSpec<typeof schema, 'servicenow_oauth2'>;
}
