/** Checkout Champ: API user login and password. */
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { secretInput, textInput } from '../connect.js';

const schema = kindObject('checkout_champ_password', {
  login_id: text(),
  password: secret(),
});

export const checkoutChampPassword = {
  kind: 'checkout_champ_password',
  provider: 'checkout_champ',
  aliases: [],
  schema,
  secretFields: ['password'],
  oauthApp: 'optional',
  accessToken: {
    from: 'none',
    why: 'Checkout Champ takes login_id and password with every request; there is no bearer token to answer.',
  },
  tokenField: null,
  expiryField: null,
  learnable: [],
  tenantHosts: [],
  connect: { flow: 'key', fields: [textInput('login_id', 'API login id'), secretInput('password', 'API password')] },
  // Checkout Champ takes loginId and password in the query of every call (its only way).
  proxy: {
    base: () => ({ api: 'default' }),
    auth: { scheme: 'query', params: { loginId: 'login_id', password: 'password' } },
  },
  identity: (p) => ({ value: `login:${p.login_id}` }),
} satisfies KindSpec<typeof schema, 'checkout_champ_password'>;
