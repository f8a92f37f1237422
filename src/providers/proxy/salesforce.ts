/** REST calls go to the org's own instance_url. https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_oauth_and_connected_apps.htm */
import { hostOf, type ProxyTarget } from './types.js';

export const salesforceOauth2Proxy: ProxyTarget = {
  base: (p) => hostOf(p, 'instance_url'),
  auth: { scheme: 'bearer' },
};
