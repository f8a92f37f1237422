/**
 * NetSuite token-based authentication (OAuth 1.0a). Account ids are case-insensitive;
 * sandboxes carry `_SB<n>` (`-sb<n>` in URLs), release previews `_RP`.
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_4247337262.html
 */
import { netsuiteHost } from '../api/netsuite.js';
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { secretInput, textInput } from '../connect.js';
import { str } from '../proxy.js';

const accountId = () =>
  text()
    .toUpperCase()
    .overwrite((v) => v.replace(/-(SB\d+|RP)$/, '_$1'))
    .refine((v) => /^[A-Z0-9]+(?:_(?:SB\d+|RP))?$/.test(v), {
      error: 'must be a NetSuite account id such as 1234567 or 1234567_SB1',
    });

const schema = kindObject('netsuite_tba', {
  account_id: accountId(),
  consumer_key: text(),
  consumer_secret: secret(),
  token_id: text(),
  token_secret: secret(),
});

export const netsuiteTba = {
  kind: 'netsuite_tba',
  provider: 'netsuite',
  aliases: [],
  schema,
  secretFields: ['consumer_secret', 'token_secret'],
  oauthApp: 'optional',
  accessToken: {
    from: 'none',
    why: 'NetSuite token-based authentication signs every request (OAuth 1.0a) with the consumer and token secrets; there is no bearer token to answer.',
  },
  tokenField: null,
  expiryField: null,
  learnable: [],
  tenantHosts: [{ field: 'account_id', host: netsuiteHost }],
  connect: {
    flow: 'key',
    fields: [
      textInput('account_id', 'Account id'),
      textInput('consumer_key', 'Consumer key'),
      secretInput('consumer_secret', 'Consumer secret'),
      textInput('token_id', 'Token id'),
      secretInput('token_secret', 'Token secret'),
    ],
  },
  // Every request is signed (OAuth 1.0a, HMAC-SHA256, realm = account id).
  // https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534941088.html
  proxy: {
    base: (p) => {
      const account = str(p, 'account_id');
      return account === undefined ? undefined : { host: netsuiteHost(account) };
    },
    auth: { scheme: 'oauth1', realmField: 'account_id' },
  },
  identity: (p) => ({ value: `account:${p.account_id}` }),
} satisfies KindSpec<typeof schema, 'netsuite_tba'>;
