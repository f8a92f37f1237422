/**
 * Salesforce OAuth (web server flow). A My Domain `instance_url` names one org, so it is
 * the identity. Government Cloud and other domains come from CREDVAULT_PROVIDER_HOSTS_SALESFORCE.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
 */
import { SALESFORCE_HOST_SUFFIXES } from '../api/salesforce.js';
import { instanceUrl, kindObject, secret, text, urlHostOf, urlIdentityHost } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { salesforceRevoke } from '../api/salesforce.js';
import { replyText, tokens } from '../connect.js';
import { hostOf } from '../proxy.js';

/** The OAuth app's login host (`login_url` setting: a sandbox or My Domain login), else login.salesforce.com. */
const loginUrl = (settings: Readonly<Record<string, unknown>>) =>
  (typeof settings.login_url === 'string' && settings.login_url !== ''
    ? settings.login_url
    : 'https://login.salesforce.com'
  ).replace(/\/+$/, '');

export function createSalesforceOauth2(extraHosts: readonly string[] = []) {
  const schema = kindObject('salesforce_oauth2', {
    instance_url: instanceUrl([...SALESFORCE_HOST_SUFFIXES, ...extraHosts], 'https://acme.my.salesforce.com'),
    refresh_token: secret(),
    access_token: secret().optional(),
    org_id: text().optional(),
    user_id: text().optional(),
    name: text().optional(),
    ...expiryFields,
  });
  return {
    kind: 'salesforce_oauth2',
    provider: 'salesforce',
    aliases: ['salesforce'],
    schema,
    secretFields: ['refresh_token', 'access_token'],
    oauthApp: 'required',
    ...refreshedAccessToken,
    learnable: ['instance_url', 'org_id', 'user_id'],
    tenantHosts: [{ field: 'instance_url', host: urlHostOf }],
    connect: {
      // Web server flow with PKCE: the reply's instance_url and id (…/id/<org>/<user>) name the org.
      // https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
      flow: 'oauth',
      requires: [],
      authorizeUrl: (i) => `${loginUrl(i.settings)}/services/oauth2/authorize`,
      tokenUrl: (i) => `${loginUrl(i.settings)}/services/oauth2/token`,
      clientAuth: 'form',
      defaultScopes: ['api', 'refresh_token'],
      scopeSeparator: ' ',
      extraParams: {},
      pkce: true,
      properties(reply) {
        const id = /\/id\/([^/]+)\/([^/]+)$/.exec(replyText(reply, 'id') ?? '');
        return {
          instance_url: replyText(reply, 'instance_url'),
          ...tokens(reply),
          ...(id ? { org_id: id[1], user_id: id[2] } : {}),
        };
      },
      revoke: salesforceRevoke,
    },
    // REST calls go to the org's own instance_url.
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_oauth_and_connected_apps.htm
    proxy: { base: (p) => hostOf(p, 'instance_url'), auth: { scheme: 'bearer' } },
    identity: (p) => ({ value: `url:${urlIdentityHost(p.instance_url)}` }),
    finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
  } satisfies KindSpec<typeof schema, 'salesforce_oauth2'>;
}
