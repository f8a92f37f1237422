/** https://shopify.dev/docs/api/admin-rest#authentication */
import { str, type ProxyTarget } from './types.js';

export const shopifyOauth2Proxy: ProxyTarget = {
  base: (p) => {
    const host = str(p, 'shop');
    return host === undefined ? undefined : { host };
  },
  auth: { scheme: 'token_header', header: 'x-shopify-access-token' },
};
