/**
 * QuickBooks Online OAuth. A realm (company) id is only unique within its environment.
 * Intuit rotates refresh tokens.
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 */
import { z } from 'zod';
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';

const schema = kindObject('quickbooks_oauth2', {
  realm_id: text().refine((v) => /^\d+$/.test(v), {
    error: 'must be the QuickBooks company id (realmId), digits only',
  }),
  refresh_token: secret(),
  access_token: secret().optional(),
  environment: z.enum(['production', 'sandbox'], { error: 'must be production or sandbox' }).default('production'),
  ...expiryFields,
});

export const quickbooksOauth2 = {
  kind: 'quickbooks_oauth2',
  provider: 'quickbooks',
  aliases: ['quickbooks'],
  schema,
  secretFields: ['refresh_token', 'access_token'],
  oauthApp: 'required',
  ...refreshedAccessToken,
  learnable: [],
  tenantHosts: [],
  identity: (p) => ({ value: `realm:${p.realm_id}|${p.environment}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'quickbooks_oauth2'>;
