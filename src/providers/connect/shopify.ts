/**
 * Shopify authorization code grant:
 * https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant
 * authorize https://{shop}/admin/oauth/authorize (comma-separated scopes, offline token by
 * default), token POST https://{shop}/admin/oauth/access_token. The callback's query is signed:
 * hmac = HMAC-SHA256(client secret, the other parameters sorted by name as k=v&k=v), hex.
 * Revoke: uninstall the app, DELETE /admin/api_permissions/current.json
 * https://shopify.dev/docs/apps/build/authentication-authorization/app-installation/uninstall-app-api-request
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { JSON_TYPE, httpFailure, missingField, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { replyText } from './types.js';

export const shopifyConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'shopify_oauth2',
  requires: ['shop'],
  authorizeUrl: (i) => `https://${i.props.shop ?? ''}/admin/oauth/authorize`,
  tokenUrl: (i) => `https://${i.props.shop ?? ''}/admin/oauth/access_token`,
  clientAuth: 'form',
  defaultScopes: ['read_products'],
  scopeSeparator: ',',
  extraParams: {},
  pkce: false,
  proof: 'shopify_hmac',
  properties: (reply, _q, start) => ({
    shop: start.shop,
    access_token: reply.access_token,
    ...(replyText(reply, 'scope') ? { scope: replyText(reply, 'scope') } : {}),
  }),
  async revoke(cred, ctx, url) {
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
  },
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
