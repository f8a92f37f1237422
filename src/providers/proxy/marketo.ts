/** https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication */
import { str, type ProxyTarget } from './types.js';

export const marketoClientCredentialsProxy: ProxyTarget = {
  base: (p) => {
    const id = str(p, 'munchkin_id');
    return id === undefined ? undefined : { host: `${id.toLowerCase()}.mktorest.com` };
  },
  auth: { scheme: 'bearer' },
};
