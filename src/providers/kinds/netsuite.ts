/**
 * NetSuite token-based authentication (OAuth 1.0a). Account ids are case-insensitive;
 * sandboxes carry `_SB<n>` (`-sb<n>` in URLs), release previews `_RP`.
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_4247337262.html
 */
import { netsuiteHost } from '../api/netsuite.js';
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';

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
  identity: (p) => ({ value: `account:${p.account_id}` }),
} satisfies KindSpec<typeof schema, 'netsuite_tba'>;
