/**
 * Airtable OAuth. Airtable rotates refresh tokens on every refresh.
 * https://airtable.com/developers/web/api/oauth-reference
 */
import { fingerprintIdentity, kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { replyText, tokens } from '../connect.js';
import { bearerAt } from '../proxy.js';

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
  connect: {
    // https://airtable.com/developers/web/api/oauth-reference: PKCE S256 required, Basic client auth;
    // no revocation endpoint (a revoke answers revoked=false with a note).
    flow: 'oauth',
    requires: [],
    authorizeUrl: () => 'https://airtable.com/oauth2/v1/authorize',
    tokenUrl: () => 'https://airtable.com/oauth2/v1/token',
    clientAuth: 'basic',
    defaultScopes: ['data.records:read', 'schema.bases:read'],
    scopeSeparator: ' ',
    extraParams: {},
    pkce: true,
    properties: (reply) => ({ ...tokens(reply), scope: replyText(reply, 'scope') ?? '' }),
  },
  proxy: bearerAt(),
  identity: (p, ctx) =>
    p.airtable_uid !== undefined
      ? { value: `user:${p.airtable_uid}` }
      : fingerprintIdentity('refresh_token', p.refresh_token, ctx),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'airtable_oauth2'>;
