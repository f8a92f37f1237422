/**
 * Shopify offline access token for one shop.
 * identify: GET https://{shop}/admin/api/{version}/shop.json with X-Shopify-Access-Token
 *   https://shopify.dev/docs/api/admin-rest/latest/resources/shop
 */
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import { JSON_TYPE, callJson, failure, join, missingField, prop, type Classify, type Wording } from './common.js';

const W: Wording = {
  provider: 'Shopify',
  credential: 'the access token',
  reauth:
    'The app was uninstalled or the token revoked; have the merchant install the app again and import the new access token.',
  permissions: "Request the needed access scopes in the app's configuration and have the merchant approve them.",
  notFound: 'Shopify answered 404 for this shop: it was closed or renamed. Check shop (the .myshopify.com host).',
};

/** A supported stable version; Shopify keeps each for at least 12 months. https://shopify.dev/docs/api/usage/versioning */
export const SHOPIFY_API_VERSION = '2025-07';

const shop = z.object({ shop: z.object({ id: z.number().int() }).loose() }).loose();

/**
 * 402 = shop frozen for unpaid bills, 423 = shop locked; both block the API without the token
 * being wrong. https://shopify.dev/docs/api/usage/response-codes
 * (429s carry a fractional Retry-After such as "2.0", which common.ts rounds up.)
 */
const classify: Classify = (res) => {
  if (res.status === 402)
    return failure(
      'forbidden',
      'Shopify reports this shop frozen for unpaid bills (HTTP 402); the API stays closed until the merchant settles the account.',
      { status: 402 },
    );
  if (res.status === 423)
    return failure(
      'forbidden',
      'Shopify reports this shop locked (HTTP 423), usually for fraud review or a terms violation; the merchant must contact Shopify Support.',
      { status: 423 },
    );
  return undefined;
};

export const shopifyModule: ProviderModule = {
  provider: 'shopify',
  displayName: W.provider,
  // Each shop is its own host ({shop}.myshopify.com), reached through ctx.tenantUrl.
  baseUrls: { default: 'https://shop.myshopify.com' },

  async identify(cred, ctx) {
    const host = prop(cred, 'shop');
    if (host === undefined || !/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i.test(host)) return missingField(W, 'shop');
    const token = prop(cred, 'access_token');
    if (token === undefined) return missingField(W, 'access_token');
    const r = await callJson(
      ctx,
      W,
      {
        method: 'GET',
        url: join(ctx.tenantUrl(host.toLowerCase()), `/admin/api/${SHOPIFY_API_VERSION}/shop.json`),
        headers: { 'x-shopify-access-token': token, accept: JSON_TYPE },
      },
      { schema: shop, classify },
    );
    if (!r.ok) return r;
    return { ok: true, accountId: String(r.data.shop.id) };
  },
};
