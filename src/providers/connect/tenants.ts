/**
 * Tenant-hosted OAuth kinds: the customer's own host is given at start-auth (`properties`).
 * ServiceNow: {instance_url}/oauth_auth.do and /oauth_token.do
 *   https://www.servicenow.com/docs/bundle/zurich-platform-security/page/administer/security/concept/c_OAuthApplications.html
 * Workday: https://{host}/ccx/oauth2/{tenant}/authorize and /token (Basic)
 *   https://doc.workday.com/admin-guide/en-us/authentication-and-security/authentication/oauth/
 */
import type { OAuthConnect } from './types.js';
import { tokens } from './types.js';

export const servicenowConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'servicenow_oauth2',
  requires: ['instance_url'],
  authorizeUrl: (i) => `${(i.props.instance_url ?? '').replace(/\/+$/, '')}/oauth_auth.do`,
  tokenUrl: (i) => `${(i.props.instance_url ?? '').replace(/\/+$/, '')}/oauth_token.do`,
  clientAuth: 'form',
  defaultScopes: ['useraccount'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: false,
  properties: (reply, _q, start) => ({ instance_url: start.instance_url, ...tokens(reply, false) }),
};

export const workdayConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'workday_oauth2',
  requires: ['host', 'tenant'],
  authorizeUrl: (i) => `https://${i.props.host ?? ''}/ccx/oauth2/${encodeURIComponent(i.props.tenant ?? '')}/authorize`,
  tokenUrl: (i) => `https://${i.props.host ?? ''}/ccx/oauth2/${encodeURIComponent(i.props.tenant ?? '')}/token`,
  clientAuth: 'basic',
  defaultScopes: [],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: false,
  properties: (reply, _q, start) => ({ host: start.host, tenant: start.tenant, ...tokens(reply, false) }),
};
