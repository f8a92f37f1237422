/**
 * Salesforce OAuth (web server flow). A My Domain `instance_url` names one org, so it is
 * the identity. Government Cloud and other domains come from CREDVAULT_PROVIDER_HOSTS_SALESFORCE.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
 */
import { SALESFORCE_HOST_SUFFIXES } from '../api/salesforce.js';
import { instanceUrl, kindObject, secret, text, urlHostOf, urlIdentityHost } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';

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
    identity: (p) => ({ value: `url:${urlIdentityHost(p.instance_url)}` }),
    finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
  } satisfies KindSpec<typeof schema, 'salesforce_oauth2'>;
}
