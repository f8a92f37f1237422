/**
 * HubSpot OAuth: one credential per portal (`hub_id`).
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
import { z } from 'zod';
import { kindObject, secret, text, wholeNumber } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';

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
  identity: (p) => ({ value: `hub:${p.hub_id}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'hubspot_oauth2'>;
