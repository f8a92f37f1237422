/**
 * Linear OAuth. Older grants are long-lived access tokens without a refresh token;
 * newer ones expire and come with one.
 * https://linear.app/developers/oauth-2-0-authentication
 */
import { fingerprintIdentity, kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { linearRevoke } from '../api/linear.js';
import { replyText, tokens } from '../connect.js';
import { bearerAt } from '../proxy.js';

const schema = kindObject('linear_oauth2', {
  // Optional when a refresh_token is given (an export holding only that): refreshed at import.
  access_token: secret().optional(),
  scope: text(),
  linear_org_id: text().optional(),
  linear_org_name: text().optional(),
  refresh_token: secret().optional(),
  ...expiryFields,
});

export const linearOauth2 = {
  kind: 'linear_oauth2',
  provider: 'linear',
  aliases: ['linear'],
  schema,
  secretFields: ['access_token', 'refresh_token'],
  oauthApp: 'required',
  // Renewable only when a refresh_token is present; the refresher must check for it.
  ...refreshedAccessToken,
  learnable: ['linear_org_id', 'linear_org_name'],
  tenantHosts: [],
  connect: {
    // https://linear.app/developers/oauth-2-0-authentication: actor=user, comma-separated scopes, PKCE accepted.
    flow: 'oauth',
    requires: [],
    authorizeUrl: () => 'https://linear.app/oauth/authorize',
    tokenUrl: () => 'https://api.linear.app/oauth/token',
    clientAuth: 'form',
    defaultScopes: ['read'],
    scopeSeparator: ',',
    extraParams: { actor: 'user' },
    pkce: true,
    properties: (reply) => ({ ...tokens(reply), scope: replyText(reply, 'scope') ?? 'read' }),
    revoke: linearRevoke,
  },
  proxy: bearerAt(),
  identity: (p, ctx) =>
    p.linear_org_id !== undefined
      ? { value: `org:${p.linear_org_id}` }
      : p.access_token !== undefined
        ? fingerprintIdentity('access_token', p.access_token, ctx)
        : fingerprintIdentity('refresh_token', p.refresh_token ?? '', ctx),
  finalize: (p, ctx) =>
    p.access_token === undefined && p.refresh_token === undefined
      ? { ok: false, issues: { access_token: ['is required unless a refresh_token is given'] } }
      : finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'linear_oauth2'>;
