/**
 * QuickBooks Online OAuth. A realm (company) id is only unique within its environment.
 * Intuit rotates refresh tokens.
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 */
import { z } from 'zod';
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { quickbooksRevoke } from '../api/quickbooks.js';
import { tokens } from '../connect.js';

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
  connect: {
    // https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
    // Basic client auth; the callback's realmId is the company.
    flow: 'oauth',
    requires: [],
    authorizeUrl: () => 'https://appcenter.intuit.com/connect/oauth2',
    tokenUrl: () => 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    clientAuth: 'basic',
    defaultScopes: ['com.intuit.quickbooks.accounting'],
    scopeSeparator: ' ',
    extraParams: {},
    pkce: false,
    properties: (reply, query, _start, settings) => ({
      realm_id: query.get('realmId') ?? undefined,
      environment: settings.environment === 'sandbox' ? 'sandbox' : 'production',
      ...tokens(reply),
    }),
    revoke: quickbooksRevoke,
  },
  // https://developer.intuit.com/app/developer/qbo/docs/develop/sandboxes
  proxy: { base: (p) => ({ api: p.environment === 'sandbox' ? 'sandbox' : 'default' }), auth: { scheme: 'bearer' } },
  identity: (p) => ({ value: `realm:${p.realm_id}|${p.environment}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'quickbooks_oauth2'>;
