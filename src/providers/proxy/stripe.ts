/** https://docs.stripe.com/api/authentication, https://docs.stripe.com/connect/authentication */
import { bearerAt, type ProxyTarget } from './types.js';

export const stripeKeyProxy: ProxyTarget = bearerAt();
export const stripeOauth2Proxy: ProxyTarget = {
  base: () => ({ api: 'default' }),
  auth: { scheme: 'stripe_connect', accountField: 'stripe_user_id' },
};
