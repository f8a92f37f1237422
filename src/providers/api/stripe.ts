/**
 * Stripe: API keys (`stripe_key`) and Connect OAuth accounts (`stripe_oauth2`).
 * identify: GET /v1/account  https://docs.stripe.com/api/accounts/retrieve
 * refresh:  POST connect.stripe.com/oauth/token  https://docs.stripe.com/connect/oauth-reference
 */
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import {
  bearer,
  callJson,
  forbidden,
  join,
  missingField,
  needApp,
  prop,
  FORM,
  basicAuth,
  formBody,
  httpFailure,
  send,
  type Classify,
  type Wording,
} from './common.js';
import { oauthError, refreshSuccess, requestToken } from './oauth.js';
import type { Revoke } from '../connect.js';

const KEY: Wording = {
  provider: 'Stripe',
  credential: 'the API key',
  reauth: 'Create a new key in the Stripe Dashboard (Developers > API keys) and import it in place of this one.',
  permissions:
    'For a restricted key (rk_...), give it read access to Connect/Account in the Dashboard, or use a secret key.',
};
const CONNECT: Wording = {
  provider: 'Stripe',
  credential: 'the Connect access token',
  reauth:
    'The connected account disconnected your platform or the token was revoked; have the account owner connect again and import the new tokens.',
  permissions:
    'Check that your platform still has access to the connected account in the Stripe Dashboard (Connect > Accounts).',
};

const account = z.object({ id: z.string().startsWith('acct_') }).loose();
const stripeError = z
  .object({ error: z.object({ type: z.string().optional(), code: z.string().optional() }).loose() })
  .loose();

function classifyFor(w: Wording, restricted: boolean): Classify {
  return (res, json) => {
    // Only a 401 or 403 is read here; any other answer goes to the default handling unparsed.
    if (res.status !== 401 && res.status !== 403) return undefined;
    const e = stripeError.safeParse(json);
    const code = e.success ? e.data.error.code : undefined;
    // A revoked Connect authorization answers account_invalid ("application access may have been
    // revoked"), https://docs.stripe.com/error-codes#account-invalid
    if (code === 'account_invalid') {
      return {
        ok: false,
        reason: 'unauthorized',
        status: res.status,
        note: `Stripe no longer lets your platform act for this account (account_invalid). ${CONNECT.reauth}`,
      };
    }
    // Restricted keys lacking a permission get 403: https://docs.stripe.com/keys#limit-access
    if (res.status === 403 && restricted) return forbidden(w, 403, 'missing_scope');
    return undefined;
  };
}

export const stripeModule: ProviderModule = {
  provider: 'stripe',
  displayName: KEY.provider,
  baseUrls: { default: 'https://api.stripe.com', connect: 'https://connect.stripe.com' },

  async identify(cred, ctx) {
    if (cred.kind === 'stripe_key') {
      const key = prop(cred, 'secret');
      if (key === undefined) return missingField(KEY, 'secret');
      const r = await callJson(
        ctx,
        KEY,
        { method: 'GET', url: join(ctx.baseUrl(), '/v1/account'), headers: bearer(key) },
        {
          schema: account,
          classify: classifyFor(KEY, key.startsWith('rk_')),
        },
      );
      if (!r.ok) return r;
      return { ok: true, accountId: r.data.id, learned: { account_id: r.data.id } };
    }
    const userId = prop(cred, 'stripe_user_id');
    if (userId === undefined) return missingField(CONNECT, 'stripe_user_id');
    const token = prop(cred, 'access_token');
    let headers: Record<string, string>;
    if (token !== undefined) {
      headers = bearer(token);
    } else {
      // Without an access token the platform's own secret key acts for the connected account
      // through the Stripe-Account header: https://docs.stripe.com/connect/authentication
      const app = needApp(ctx, CONNECT);
      if (!('clientSecret' in app)) return app;
      headers = { ...bearer(app.clientSecret), 'stripe-account': userId };
    }
    const r = await callJson(
      ctx,
      CONNECT,
      { method: 'GET', url: join(ctx.baseUrl(), '/v1/account'), headers },
      {
        schema: account,
        classify: classifyFor(CONNECT, false),
      },
    );
    if (!r.ok) return r;
    return { ok: true, accountId: r.data.id };
  },

  async refresh(cred, ctx) {
    if (cred.kind !== 'stripe_oauth2') {
      return {
        ok: false,
        reason: 'misconfigured',
        note: 'Stripe API keys do not expire and cannot be refreshed; rotate the key in the Stripe Dashboard instead.',
      };
    }
    const refreshToken = prop(cred, 'refresh_token');
    if (refreshToken === undefined) return missingField(CONNECT, 'refresh_token');
    const app = needApp(ctx, CONNECT);
    if (!('clientSecret' in app)) return app;
    // The platform's secret key authenticates like `curl -u sk_...:` (Basic, empty password):
    // https://docs.stripe.com/connect/oauth-reference#post-token
    const r = await requestToken(ctx, CONNECT, {
      url: join(ctx.baseUrl('connect'), '/oauth/token'),
      form: { grant_type: 'refresh_token', refresh_token: refreshToken },
      basic: { user: app.clientSecret, pass: '' },
      classify: (res, json) => {
        // Connect answers a deauthorized account with invalid_grant or invalid_request plus
        // "does not exist"; both mean a new authorization is needed.
        const e = oauthError.safeParse(json);
        if (
          res.status === 400 &&
          e.success &&
          e.data.error === 'invalid_request' &&
          /refresh token/i.test(e.data.error_description ?? '')
        ) {
          return {
            ok: false,
            reason: 'invalid_grant',
            status: 400,
            note: `Stripe does not know this refresh token any more (the account disconnected or it was rolled). ${CONNECT.reauth}`,
          };
        }
        return undefined;
      },
    });
    if (!r.ok) return r;
    // Connect access tokens carry no expires_in: they live until the refresh token is rolled.
    return refreshSuccess(r.reply, ctx.now(), refreshToken);
  },
};

/**
 * Revoke of a Stripe Connect account: POST https://connect.stripe.com/oauth/deauthorize {client_id, stripe_user_id}.
 * https://docs.stripe.com/connect/oauth-reference
 */
export const stripeRevoke: Revoke = async (cred, ctx, url) => {
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
};
