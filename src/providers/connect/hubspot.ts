/**
 * HubSpot OAuth: https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
 * authorize https://app.hubspot.com/oauth/authorize (scopes required, space-separated), token
 * POST api.hubapi.com/oauth/v3/token (client in the form). The portal (hub_id) comes from
 * introspecting the new token. Revoke: POST /oauth/v3/token/revoke
 * https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
 */
import { FORM, formBody, httpFailure, missingField, needApp, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { tokens } from './types.js';

export const hubspotConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'hubspot_oauth2',
  requires: [],
  authorizeUrl: () => 'https://app.hubspot.com/oauth/authorize',
  tokenUrl: () => 'https://api.hubapi.com/oauth/v3/token',
  clientAuth: 'form',
  defaultScopes: ['oauth'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: false,
  properties: (reply) => ({ ...tokens(reply), scopes: [] }),
  identified(props, found) {
    return { ...props, ...found.learned, hub_id: Number(found.accountId), scopes: found.scopes ?? [] };
  },
  async revoke(cred, ctx, url) {
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
  },
};
