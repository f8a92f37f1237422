/** https://developer.intuit.com/app/developer/qbo/docs/develop/sandboxes */
import type { ProxyTarget } from './types.js';

export const quickbooksOauth2Proxy: ProxyTarget = {
  base: (p) => ({ api: p.environment === 'sandbox' ? 'sandbox' : 'default' }),
  auth: { scheme: 'bearer' },
};
