/**
 * HubSpot OAuth, through the v3 endpoints that take every secret in the body (the v1 ones put
 * the token in the URL path: GET /oauth/v1/access-tokens/{token}; docs/security.md A7, O5).
 * identify: POST /oauth/v3/token/introspect
 *   https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/public-token/post-oauth-v3-token-introspect
 * refresh:  POST /oauth/v3/token  https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 */
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import {
  FORM,
  JSON_TYPE,
  callJson,
  failure,
  forbidden,
  formBody,
  join,
  missingField,
  needApp,
  prop,
  httpFailure,
  send,
  type Classify,
  type Wording,
} from './common.js';
import type { Revoke } from '../connect.js';
import { standardRefresh } from './refresh-grant.js';

const W: Wording = {
  provider: 'HubSpot',
  credential: 'the token',
  reauth:
    'Reinstall the app in this HubSpot account (or have an admin re-authorize it) and import the new refresh token.',
  permissions: "Add the missing scopes to the app's scope settings in HubSpot and have the account re-authorize it.",
};

const introspection = z
  .object({
    active: z.boolean(),
    hub_id: z.number().int().optional(),
    user_id: z.number().int().optional(),
    user: z.string().optional(),
    hub_domain: z.string().optional(),
    scopes: z.array(z.string()).optional(),
  })
  .loose();

const hubspotError = z
  .object({
    status: z.string().optional(),
    category: z.string().optional(),
    subCategory: z.string().optional(),
    message: z.string().optional(),
  })
  .loose();

/**
 * HubSpot's own error shapes: {"status":"BAD_REFRESH_TOKEN","message":"missing or invalid
 * refresh token"} (https://developers.hubspot.com/docs/api/oauth/tokens), BAD_CLIENT_ID /
 * BAD_CLIENT_SECRET, and {"category":"MISSING_SCOPES"} on 403
 * (https://developers.hubspot.com/docs/api/error-handling).
 */
const classify: Classify = (res, json) => {
  if (res.status < 400) return undefined;
  const e = hubspotError.safeParse(json);
  if (!e.success) return undefined;
  const { status, category, subCategory, message } = e.data;
  if (
    status === 'BAD_REFRESH_TOKEN' ||
    subCategory === 'INVALID_TOKEN' ||
    (res.status === 400 && /refresh token/i.test(message ?? ''))
  ) {
    return failure(
      'invalid_grant',
      `HubSpot refused the refresh token (BAD_REFRESH_TOKEN): the app was uninstalled, access was revoked or the token is invalid. ${W.reauth}`,
      { status: res.status },
    );
  }
  if (status === 'BAD_CLIENT_ID' || status === 'BAD_CLIENT_SECRET') {
    return failure(
      'misconfigured',
      `HubSpot rejected the OAuth app's client id or secret (${status}). Check the HubSpot OAuth app configured in credvault against the app's Auth settings in HubSpot.`,
      { status: res.status, oauthApp: true },
    );
  }
  if (res.status === 403 && category === 'MISSING_SCOPES') return forbidden(W, 403, 'missing_scope');
  return undefined;
};

export const hubspotModule: ProviderModule = {
  provider: 'hubspot',
  displayName: W.provider,
  baseUrls: { default: 'https://api.hubapi.com' },

  async identify(cred, ctx) {
    const app = needApp(ctx, W);
    if (!('clientSecret' in app)) return app;
    // Introspecting the refresh token works too, so a check never needs to refresh (and
    // HubSpot documents no refresh-token rotation).
    const access = prop(cred, 'access_token');
    const token = access ?? prop(cred, 'refresh_token');
    if (token === undefined) return missingField(W, 'refresh_token');
    const body = formBody({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      token,
      token_type_hint: access === undefined ? 'refresh_token' : 'access_token',
    });
    const r = await callJson(
      ctx,
      W,
      {
        method: 'POST',
        url: join(ctx.baseUrl(), '/oauth/v3/token/introspect'),
        headers: { 'content-type': FORM, accept: JSON_TYPE },
        body,
      },
      { schema: introspection, classify },
    );
    if (!r.ok) return r;
    if (!r.data.active) {
      return failure(
        'unauthorized',
        `HubSpot reports ${access === undefined ? 'the refresh token' : 'the access token'} as no longer active (revoked, expired or the app was uninstalled). ${W.reauth}`,
        { status: r.res.status },
      );
    }
    if (r.data.hub_id === undefined)
      return failure(
        'invalid_response',
        'HubSpot answered the token introspection without a hub_id. credvault will retry; if it persists, report it to the credvault maintainers.',
        { status: r.res.status },
      );
    const learned: Record<string, unknown> = {};
    if (r.data.hub_domain !== undefined) learned.hub_domain = r.data.hub_domain;
    if (r.data.user !== undefined) learned.hubspot_user = r.data.user;
    if (r.data.user_id !== undefined) learned.hubspot_user_id = String(r.data.user_id);
    const out = { ok: true as const, accountId: String(r.data.hub_id), learned };
    return r.data.scopes === undefined ? out : { ...out, scopes: r.data.scopes };
  },

  async refresh(cred, ctx) {
    return standardRefresh(cred, ctx, W, { url: join(ctx.baseUrl(), '/oauth/v3/token'), clientAuth: 'form', classify });
  },
};

/**
 * Revoke of a HubSpot refresh token: POST /oauth/v3/token/revoke.
 * https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
 */
export const hubspotRevoke: Revoke = async (cred, ctx, url) => {
  const W = { provider: 'HubSpot', credential: 'the refresh token', reauth: '', permissions: '' };
  const token = prop(cred, 'refresh_token');
  if (token === undefined) return missingField(W, 'refresh_token');
  const app = needApp(ctx, W);
  if (!('clientSecret' in app)) return app;
  const body = formBody({
    token,
    token_type_hint: 'refresh_token',
    client_id: app.clientId,
    client_secret: app.clientSecret,
  });
  const sent = await send(ctx, W, {
    method: 'POST',
    url: url('https://api.hubapi.com/oauth/v3/token/revoke'),
    headers: { 'content-type': FORM },
    body,
  });
  if (!sent.ok) return sent;
  return sent.res.status >= 200 && sent.res.status < 300 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
};
