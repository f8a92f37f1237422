/**
 * Airtable OAuth. Airtable rotates refresh tokens on every refresh.
 * https://airtable.com/developers/web/api/oauth-reference
 */
import { fingerprintIdentity, kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';

const schema = kindObject('airtable_oauth2', {
  refresh_token: secret(),
  scope: text(),
  airtable_uid: text().optional(),
  access_token: secret().optional(),
  ...expiryFields,
});

export const airtableOauth2 = {
  kind: 'airtable_oauth2',
  provider: 'airtable',
  aliases: ['airtable'],
  schema,
  secretFields: ['refresh_token', 'access_token'],
  oauthApp: 'required',
  ...refreshedAccessToken,
  learnable: ['airtable_uid'],
  tenantHosts: [],
  identity: (p, ctx) =>
    p.airtable_uid !== undefined
      ? { value: `user:${p.airtable_uid}` }
      : fingerprintIdentity('refresh_token', p.refresh_token, ctx),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'airtable_oauth2'>;
