/**
 * Shopify offline access token for one shop.
 * identify: GET https://{shop}/admin/api/{version}/shop.json with X-Shopify-Access-Token
 *   https://shopify.dev/docs/api/admin-rest/latest/resources/shop
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import {
  JSON_TYPE,
  callJson,
  failure,
  join,
  missingField,
  prop,
  httpFailure,
  send,
  type Classify,
  type Wording,
} from './common.js';
import type { Revoke } from '../connect.js';

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

/**
 * Revoke of a Shopify grant: uninstall the app, DELETE /admin/api_permissions/current.json.
 * https://shopify.dev/docs/apps/build/authentication-authorization/app-installation/uninstall-app-api-request
 */
export const shopifyRevoke: Revoke = async (cred, ctx, url) => {
  const W = { provider: 'Shopify', credential: 'the access token', reauth: '', permissions: '' };
  const token = prop(cred, 'access_token');
  const shop = prop(cred, 'shop');
  if (token === undefined || shop === undefined) return missingField(W, 'access_token');
  const sent = await send(ctx, W, {
    method: 'DELETE',
    url: url(`https://${shop}/admin/api_permissions/current.json`),
    headers: { 'x-shopify-access-token': token, accept: JSON_TYPE },
  });
  if (!sent.ok) return sent;
  return sent.res.status >= 200 && sent.res.status < 300 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
};

/** Shopify's callback signature over the query (everything but `hmac`), compared in constant time. */
export function shopifyHmacValid(query: URLSearchParams, clientSecret: string): boolean {
  const given = query.get('hmac') ?? '';
  const message = [...query.entries()]
    .filter(([k]) => k !== 'hmac' && k !== 'signature')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const want = createHmac('sha256', clientSecret).update(message).digest('hex');
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(want, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Connect callback proof (docs: Connect): signed by Shopify, and for the shop the flow started with. */
export function shopifyCallbackProof(
  query: URLSearchParams,
  clientSecret: string,
  start: Readonly<Record<string, string>>,
): boolean {
  return shopifyHmacValid(query, clientSecret) && query.get('shop') === start.shop;
}
