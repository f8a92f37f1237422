/**
 * Airtable OAuth: https://airtable.com/developers/web/api/oauth-reference
 * authorize https://airtable.com/oauth2/v1/authorize with PKCE S256 (required), token POST
 * https://airtable.com/oauth2/v1/token (Basic client auth for integrations with a secret).
 * Airtable documents no revocation endpoint: a revoke answers revoked=false with a note.
 */
import type { OAuthConnect } from './types.js';
import { replyText, tokens } from './types.js';

export const airtableConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'airtable_oauth2',
  requires: [],
  authorizeUrl: () => 'https://airtable.com/oauth2/v1/authorize',
  tokenUrl: () => 'https://airtable.com/oauth2/v1/token',
  clientAuth: 'basic',
  defaultScopes: ['data.records:read', 'schema.bases:read'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: true,
  properties: (reply) => ({ ...tokens(reply), scope: replyText(reply, 'scope') ?? '' }),
};
