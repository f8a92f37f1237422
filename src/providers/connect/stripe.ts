/**
 * Stripe Connect OAuth: https://docs.stripe.com/connect/oauth-reference
 * authorize https://connect.stripe.com/oauth/authorize (scope read_write), token POST
 * https://connect.stripe.com/oauth/token with the platform's secret key; the reply's
 * stripe_user_id is the account. Revoke: POST /oauth/deauthorize {client_id, stripe_user_id}.
 */
import { FORM, basicAuth, formBody, httpFailure, missingField, needApp, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { replyText, tokens } from './types.js';

export const stripeConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'stripe_oauth2',
  requires: [],
  authorizeUrl: () => 'https://connect.stripe.com/oauth/authorize',
  tokenUrl: () => 'https://connect.stripe.com/oauth/token',
  clientAuth: 'stripe',
  defaultScopes: ['read_write'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: false,
  properties: (reply) => {
    const livemode = (reply as Record<string, unknown>).livemode;
    return {
      stripe_user_id: replyText(reply, 'stripe_user_id'),
      ...tokens(reply),
      ...(typeof livemode === 'boolean' ? { livemode } : {}),
      ...(replyText(reply, 'scope') ? { scope: replyText(reply, 'scope') } : {}),
    };
  },
  async revoke(cred, ctx, url) {
    const W = { provider: 'Stripe', credential: 'the connected account', reauth: '', permissions: '' };
    const user = prop(cred, 'stripe_user_id');
    if (user === undefined) return missingField(W, 'stripe_user_id');
    const app = needApp(ctx, W);
    if (!('clientSecret' in app)) return app;
    const sent = await send(ctx, W, {
      method: 'POST',
      url: url('https://connect.stripe.com/oauth/deauthorize'),
      headers: { 'content-type': FORM, authorization: basicAuth(app.clientSecret, '') },
      body: formBody({ client_id: app.clientId, stripe_user_id: user }),
    });
    if (!sent.ok) return sent;
    return sent.res.status === 200 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
  },
};
