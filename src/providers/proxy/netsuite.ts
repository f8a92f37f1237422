/** Every request is signed (OAuth 1.0a, HMAC-SHA256, realm = account id). https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534941088.html */
import { netsuiteHost } from '../api/netsuite.js';
import { str, type ProxyTarget } from './types.js';

export const netsuiteTbaProxy: ProxyTarget = {
  base: (p) => {
    const account = str(p, 'account_id');
    return account === undefined ? undefined : { host: netsuiteHost(account) };
  },
  auth: { scheme: 'oauth1', realmField: 'account_id' },
};
