/**
 * HubSpot OAuth: one credential per portal (`hub_id`).
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
import { z } from 'zod';
import { kindObject, secret, text, wholeNumber } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { hubspotRevoke } from '../api/hubspot.js';
import { tokens } from '../connect.js';
import { bearerAt } from '../proxy.js';

const schema = kindObject('hubspot_oauth2', {
  hub_id: wholeNumber(),
  hub_domain: text().optional(),
  refresh_token: secret(),
  scopes: z.array(text(), {
    error: (i) => (i.input === undefined ? 'is required' : 'must be a list of scope names (it may be empty)'),
  }),
  access_token: secret().optional(),
  hubspot_user: text().optional(),
  hubspot_user_id: text().optional(),
  name: text().optional(),
  ...expiryFields,
});

export const hubspotOauth2 = {
  kind: 'hubspot_oauth2',
  provider: 'hubspot',
  aliases: ['hubspot'],
  schema,
  secretFields: ['refresh_token', 'access_token'],
  oauthApp: 'required',
  ...refreshedAccessToken,
  learnable: ['hub_domain', 'hubspot_user', 'hubspot_user_id'],
  tenantHosts: [],
  connect: {
    // https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide: scopes required; the
    // portal (hub_id) comes from introspecting the new token.
    flow: 'oauth',
    requires: [],
    authorizeUrl: () => 'https://app.hubspot.com/oauth/authorize',
    tokenUrl: () => 'https://api.hubapi.com/oauth/v3/token',
    clientAuth: 'form',
    defaultScopes: ['oauth'],
    scopeSeparator: ' ',
    extraParams: {},
    pkce: false,
    properties: (reply) => ({ ...tokens(reply), scopes: [] }),
    identified: (props, found) => ({
      ...props,
      ...found.learned,
      hub_id: Number(found.accountId),
      scopes: found.scopes ?? [],
    }),
    revoke: hubspotRevoke,
  },
  proxy: bearerAt(),
  identity: (p) => ({ value: `hub:${p.hub_id}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'hubspot_oauth2'>;
