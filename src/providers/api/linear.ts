/**
 * Linear OAuth. Older grants are long-lived access tokens without a refresh token; newer ones
 * expire and rotate their refresh token.
 * identify: POST api.linear.app/graphql { viewer { id } organization { id name } }
 *   https://linear.app/developers/graphql
 * refresh:  POST api.linear.app/oauth/token  https://linear.app/developers/oauth-2-0-authentication
 */
import { z } from 'zod';
import type { ProviderContext, ProviderModule } from '../module.js';
import {
  JSON_TYPE,
  callJson,
  failure,
  forbidden,
  join,
  missingField,
  needApp,
  prop,
  rateLimited,
  retryAfterSeconds,
  unauthorized,
  FORM,
  formBody,
  httpFailure,
  send,
  type Classify,
  type ResetHeader,
  type Wording,
} from './common.js';
import { refreshSuccess, requestToken } from './oauth.js';
import type { Revoke } from '../connect.js';

const W: Wording = {
  provider: 'Linear',
  credential: 'the access token',
  reauth: 'Have a workspace member authorize the OAuth app again and import the new tokens.',
  permissions:
    "Ask a Linear workspace admin to grant the app the scopes it needs (at least 'read') and authorize it again.",
};

const QUERY = '{ viewer { id } organization { id name } }';

const viewer = z
  .object({
    data: z
      .object({
        viewer: z.object({ id: z.string() }).loose(),
        organization: z.object({ id: z.string(), name: z.string() }).loose(),
      })
      .loose(),
  })
  .loose();
const gqlErrors = z
  .object({
    errors: z
      .array(
        z
          .object({
            extensions: z.object({ code: z.string().optional(), type: z.string().optional() }).loose().optional(),
          })
          .loose(),
      )
      .min(1),
  })
  .loose();

/** Linear's reset header is epoch milliseconds: https://linear.app/developers/rate-limiting */
const RESETS: ResetHeader[] = [
  { name: 'x-ratelimit-requests-reset', unit: 'epoch_ms' },
  { name: 'x-ratelimit-complexity-reset', unit: 'epoch_ms' },
];

/**
 * GraphQL answers carry the cause in errors[].extensions.code, often with HTTP 400 or even 200,
 * not in the status: AUTHENTICATION_ERROR, FORBIDDEN, RATELIMITED.
 * https://linear.app/developers/graphql#errors and https://linear.app/developers/rate-limiting
 */
function classifyFor(ctx: ProviderContext): Classify {
  return (res, json) => {
    const e = gqlErrors.safeParse(json);
    if (!e.success) return undefined;
    const codes = e.data.errors.map((x) =>
      (x.extensions?.code ?? x.extensions?.type ?? '').toUpperCase().replace(/\s+/g, '_'),
    );
    if (codes.includes('RATELIMITED')) return rateLimited(W, res, retryAfterSeconds(res, ctx.now(), RESETS));
    if (codes.includes('AUTHENTICATION_ERROR')) return unauthorized(W, res.status);
    if (codes.includes('FORBIDDEN')) return forbidden(W, res.status);
    if (res.status >= 500) return undefined;
    return failure(
      'provider_error',
      `Linear answered the check with a GraphQL error (HTTP ${res.status}). credvault will retry; if it persists, check Linear's status page.`,
      { status: res.status },
    );
  };
}

export const linearModule: ProviderModule = {
  provider: 'linear',
  displayName: W.provider,
  baseUrls: { default: 'https://api.linear.app' },

  async identify(cred, ctx) {
    const token = prop(cred, 'access_token');
    if (token === undefined) return missingField(W, 'access_token');
    const r = await callJson(
      ctx,
      W,
      {
        method: 'POST',
        url: join(ctx.baseUrl(), '/graphql'),
        headers: { authorization: `Bearer ${token}`, 'content-type': JSON_TYPE, accept: JSON_TYPE },
        body: JSON.stringify({ query: QUERY }),
      },
      { schema: viewer, classify: classifyFor(ctx), resets: RESETS },
    );
    if (!r.ok) return r;
    const org = r.data.data.organization;
    return { ok: true, accountId: org.id, learned: { linear_org_id: org.id, linear_org_name: org.name } };
  },

  async refresh(cred, ctx) {
    const refreshToken = prop(cred, 'refresh_token');
    if (refreshToken === undefined) {
      return failure(
        'misconfigured',
        'This Linear grant has no refresh token (an older long-lived access token), so there is nothing to refresh. Re-authorize the app to get an expiring token with a refresh token, or keep using the long-lived one.',
      );
    }
    const app = needApp(ctx, W);
    if (!('clientSecret' in app)) return app;
    const r = await requestToken(ctx, W, {
      url: join(ctx.baseUrl(), '/oauth/token'),
      form: {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: app.clientId,
        client_secret: app.clientSecret,
      },
      resets: RESETS,
    });
    if (!r.ok) return r;
    return refreshSuccess(r.reply, ctx.now(), refreshToken);
  },
};

/**
 * Revoke of a Linear access token: POST /oauth/revoke. https://linear.app/developers/oauth-2-0-authentication
 */
export const linearRevoke: Revoke = async (cred, ctx, url) => {
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
};
