/**
 * Marketo REST API (client credentials per Munchkin instance).
 * https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
 */
import { marketoHost } from '../api/marketo.js';
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { secretInput, textInput } from '../connect.js';
import { str } from '../proxy.js';

const schema = kindObject('marketo_client_credentials', {
  munchkin_id: text()
    .toUpperCase()
    .refine((v) => /^\d{3}-[A-Z0-9]{3}-\d{3}$/.test(v), {
      error: 'must be a Munchkin id such as 123-ABC-456',
    }),
  client_id: text(),
  client_secret: secret(),
});

export const marketoClientCredentials = {
  kind: 'marketo_client_credentials',
  provider: 'marketo',
  aliases: [],
  schema,
  secretFields: ['client_secret'],
  oauthApp: 'optional',
  accessToken: { from: 'mint', checkNeedsToken: false },
  tokenField: null,
  expiryField: null,
  learnable: [],
  tenantHosts: [{ field: 'munchkin_id', host: marketoHost }],
  connect: {
    flow: 'key',
    fields: [
      textInput('munchkin_id', 'Munchkin id'),
      textInput('client_id', 'Client id'),
      secretInput('client_secret', 'Client secret'),
    ],
  },
  // https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
  proxy: {
    base: (p) => {
      const id = str(p, 'munchkin_id');
      return id === undefined ? undefined : { host: `${id.toLowerCase()}.mktorest.com` };
    },
    auth: { scheme: 'bearer' },
  },
  identity: (p) => ({ value: `munchkin:${p.munchkin_id}` }),
} satisfies KindSpec<typeof schema, 'marketo_client_credentials'>;
