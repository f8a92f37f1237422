/** Checkout Champ takes loginId and password in the query of every call (its only way). */
import type { ProxyTarget } from './types.js';

export const checkoutChampPasswordProxy: ProxyTarget = {
  base: () => ({ api: 'default' }),
  auth: { scheme: 'query', params: { loginId: 'login_id', password: 'password' } },
};
