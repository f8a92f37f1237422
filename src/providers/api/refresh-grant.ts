/**
 * The refresh_token grant (RFC 6749 §6) as every OAuth provider here speaks it: the stored
 * refresh token, the OAuth app's client id and secret (in a Basic header or in the form), one
 * POST to the token endpoint. Providers differ only in the URL, client authentication and how
 * they read errors; what they do with the reply stays in the provider's own file.
 */
import type { ProviderContext, ProviderCredential, RefreshResult } from '../module.js';
import { type Classify, type ResetHeader, type Wording, missingField, needApp, prop } from './common.js';
import { refreshSuccess, requestToken } from './oauth.js';

export interface RefreshGrant {
  url: string;
  /** `basic`: client id and secret in a Basic header; `form`: in the form body (never the URL). */
  clientAuth: 'basic' | 'form';
  classify?: Classify;
  resets?: readonly ResetHeader[];
}

export async function refreshGrant(cred: ProviderCredential, ctx: ProviderContext, w: Wording, g: RefreshGrant) {
  const refreshToken = prop(cred, 'refresh_token');
  if (refreshToken === undefined) return missingField(w, 'refresh_token');
  const app = needApp(ctx, w);
  if (!('clientSecret' in app)) return app;
  const client = g.clientAuth === 'form' ? { client_id: app.clientId, client_secret: app.clientSecret } : {};
  const r = await requestToken(ctx, w, {
    url: g.url,
    form: { grant_type: 'refresh_token', refresh_token: refreshToken, ...client },
    ...(g.clientAuth === 'basic' ? { basic: { user: app.clientId, pass: app.clientSecret } } : {}),
    ...(g.classify ? { classify: g.classify } : {}),
    ...(g.resets ? { resets: g.resets } : {}),
  });
  return r.ok ? { ...r, refreshToken } : r;
}

/** The grant, answered as refreshSuccess (a rotated refresh token reported only when it changed). */
export async function standardRefresh(
  cred: ProviderCredential,
  ctx: ProviderContext,
  w: Wording,
  g: RefreshGrant,
): Promise<RefreshResult> {
  const r = await refreshGrant(cred, ctx, w, g);
  if (!r.ok) return r;
  return refreshSuccess(r.reply, ctx.now(), r.refreshToken);
}
