/**
 * Shopify OAuth (offline access token for one shop).
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 */
import { kindObject, secret, text } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry } from './oauth-common.js';
import { shopifyCallbackProof, shopifyRevoke } from '../api/shopify.js';
import { replyText } from '../connect.js';
import { str } from '../proxy.js';

const shop = () =>
  text()
    .toLowerCase()
    .refine((v) => /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(v), {
      error: 'must be the shop host such as acme.myshopify.com, without https:// or a path',
    });

const schema = kindObject('shopify_oauth2', {
  shop: shop(),
  access_token: secret(),
  scope: text().optional(),
  ...expiryFields,
});

export const shopifyOauth2 = {
  kind: 'shopify_oauth2',
  provider: 'shopify',
  aliases: ['shopify'],
  schema,
  secretFields: ['access_token'],
  oauthApp: 'required',
  accessToken: { from: 'field' },
  tokenField: 'access_token',
  expiryField: 'expires_at',
  learnable: [],
  tenantHosts: [{ field: 'shop', host: (shop) => shop }],
  connect: {
    // Authorization code grant (offline token, comma-separated scopes); the callback query is signed.
    // https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
    flow: 'oauth',
    requires: ['shop'],
    authorizeUrl: (i) => `https://${i.props.shop ?? ''}/admin/oauth/authorize`,
    tokenUrl: (i) => `https://${i.props.shop ?? ''}/admin/oauth/access_token`,
    clientAuth: 'form',
    defaultScopes: ['read_products'],
    scopeSeparator: ',',
    extraParams: {},
    pkce: false,
    proof: shopifyCallbackProof,
    properties: (reply, _q, start) => ({
      shop: start.shop,
      access_token: reply.access_token,
      ...(replyText(reply, 'scope') ? { scope: replyText(reply, 'scope') } : {}),
    }),
    revoke: shopifyRevoke,
  },
  // https://shopify.dev/docs/api/admin-rest#authentication
  proxy: {
    base: (p) => {
      const host = str(p, 'shop');
      return host === undefined ? undefined : { host };
    },
    auth: { scheme: 'token_header', header: 'x-shopify-access-token' },
  },
  identity: (p) => ({ value: `shop:${p.shop}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof schema, 'shopify_oauth2'>;
