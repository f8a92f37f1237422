/** https://docs.servicenow.com/bundle/latest/page/integrate/inbound-rest/concept/c_RESTAPI.html */
import { hostOf, type ProxyTarget } from './types.js';

export const servicenowOauth2Proxy: ProxyTarget = {
  base: (p) => hostOf(p, 'instance_url'),
  auth: { scheme: 'bearer' },
};
