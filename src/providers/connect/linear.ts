/**
 * Linear OAuth: https://linear.app/developers/oauth-2-0-authentication
 * authorize https://linear.app/oauth/authorize (actor=user, comma-separated scopes, PKCE
 * accepted), token POST https://api.linear.app/oauth/token; revoke POST /oauth/revoke.
 */
import { FORM, formBody, httpFailure, missingField, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { replyText, tokens } from './types.js';

export const linearConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'linear_oauth2',
  requires: [],
  authorizeUrl: () => 'https://linear.app/oauth/authorize',
  tokenUrl: () => 'https://api.linear.app/oauth/token',
  clientAuth: 'form',
  defaultScopes: ['read'],
  scopeSeparator: ',',
  extraParams: { actor: 'user' },
  pkce: true,
  properties: (reply) => ({ ...tokens(reply), scope: replyText(reply, 'scope') ?? 'read' }),
  async revoke(cred, ctx, url) {
    const W = { provider: 'Linear', credential: 'the access token', reauth: '', permissions: '' };
    const token = prop(cred, 'access_token');
    if (token === undefined) return missingField(W, 'access_token');
    const sent = await send(ctx, W, {
      method: 'POST',
      url: url('https://api.linear.app/oauth/revoke'),
      headers: { 'content-type': FORM, authorization: `Bearer ${token}` },
      body: formBody({}),
    });
    if (!sent.ok) return sent;
    return sent.res.status >= 200 && sent.res.status < 300 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
  },
};
