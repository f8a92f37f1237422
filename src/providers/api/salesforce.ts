/**
 * Salesforce OAuth (web server flow).
 * identify: GET {instance_url}/services/oauth2/userinfo
 *   https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_userinfo_endpoint.htm
 * refresh:  POST {login host}/services/oauth2/token, grant_type=refresh_token
 *   https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm
 */
import { z } from 'zod';
import { hostMatchesSuffixes } from '../../net/hosts.js';
import type { ProviderContext, ProviderModule } from '../module.js';
import {
  bearer,
  callJson,
  failure,
  httpsHost,
  join,
  missingField,
  noAccessToken,
  prop,
  FORM,
  formBody,
  httpFailure,
  send,
  type Classify,
  type Wording,
} from './common.js';
import { oauthError, refreshSuccess } from './oauth.js';
import type { Revoke } from '../connect.js';
import { refreshGrant } from './refresh-grant.js';

/** Salesforce's own host suffixes; the kind's instance_url and token replies must name one of them. */
export const SALESFORCE_HOST_SUFFIXES = ['salesforce.com', 'force.com', 'salesforce.mil'] as const;

const W: Wording = {
  provider: 'Salesforce',
  credential: 'the access token',
  reauth: 'Re-authorize this org with the connected app and import the new refresh token.',
  permissions:
    "Check the connected app's OAuth scopes (it needs at least 'api' or 'id' and 'refresh_token') and the user's API Enabled permission.",
  notFound:
    'Salesforce could not find the user behind this token (the user may be inactive or frozen). Re-authorize this org with an active user and import the new refresh token.',
};

const userinfo = z.object({ organization_id: z.string().min(1), user_id: z.string().min(1) }).loose();
const restErrors = z.array(z.object({ errorCode: z.string() }).loose());

/**
 * The identity service answers an expired or invalid token with 403 Bad_OAuth_Token (plain
 * text), not 401: https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_using_openid.htm
 * The REST API answers an exhausted daily API allowance with 403 REQUEST_LIMIT_EXCEEDED:
 * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm
 */
const classifyApi: Classify = (res, json) => {
  if (res.status === 403 && /\b(Bad_OAuth_Token|Missing_OAuth_Token)\b/.test(res.body)) {
    return failure(
      'unauthorized',
      `Salesforce rejected the access token (HTTP 403, Bad_OAuth_Token): it expired or was revoked. If refreshing does not help, ${W.reauth.charAt(0).toLowerCase()}${W.reauth.slice(1)}`,
      { status: 403 },
    );
  }
  const errs = restErrors.safeParse(json);
  if (res.status === 403 && errs.success && errs.data.some((e) => e.errorCode === 'REQUEST_LIMIT_EXCEEDED')) {
    return failure(
      'rate_limited',
      'Salesforce reports the org has used up its API request allowance (REQUEST_LIMIT_EXCEEDED). Checks resume when the rolling 24-hour limit frees up; raise the org limit or reduce other API use.',
      { status: 403 },
    );
  }
  return undefined;
};

/**
 * Token endpoint codes beyond RFC 6749: inactive_user, inactive_org, invalid_client_id and
 * rate_limit_exceeded (too many token requests), https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_flow_errors.htm
 */
const classifyToken: Classify = (res, json) => {
  const e = oauthError.safeParse(json);
  if (!e.success) return undefined;
  switch (e.data.error) {
    case 'inactive_user':
    case 'inactive_org':
      return failure(
        'invalid_grant',
        `Salesforce refused the refresh token because the ${e.data.error === 'inactive_user' ? 'user' : 'org'} is inactive. Reactivate it or re-authorize with an active user, then import the new refresh token.`,
        { status: res.status },
      );
    case 'invalid_client_id':
      return failure(
        'misconfigured',
        "Salesforce does not know the OAuth app's consumer key (invalid_client_id). Check the connected app's consumer key and secret in the credvault OAuth app.",
        { status: res.status, oauthApp: true },
      );
    case 'rate_limit_exceeded':
      return failure(
        'rate_limited',
        'Salesforce is refusing token requests for this user for now (rate_limit_exceeded). credvault backs off and retries.',
        { status: res.status },
      );
    default:
      return undefined;
  }
};

const tokenExtras = z.object({ instance_url: z.string().optional(), id: z.string().optional() }).loose();

/** Sandboxes log in at test.salesforce.com; production and My Domain orgs at login.salesforce.com. */
function tokenBase(instanceHost: string, ctx: ProviderContext): string {
  return instanceHost.endsWith('.sandbox.my.salesforce.com') ? ctx.baseUrl('sandbox') : ctx.baseUrl();
}

export const salesforceModule: ProviderModule = {
  provider: 'salesforce',
  displayName: W.provider,
  baseUrls: { default: 'https://login.salesforce.com', sandbox: 'https://test.salesforce.com' },

  async identify(cred, ctx) {
    const instance = prop(cred, 'instance_url');
    const host = instance === undefined ? undefined : httpsHost(instance);
    if (host === undefined) return missingField(W, 'instance_url');
    const token = prop(cred, 'access_token');
    if (token === undefined) return noAccessToken(W);
    const r = await callJson(
      ctx,
      W,
      { method: 'GET', url: join(ctx.tenantUrl(host), '/services/oauth2/userinfo'), headers: bearer(token) },
      {
        schema: userinfo,
        classify: classifyApi,
      },
    );
    if (!r.ok) return r;
    return {
      ok: true,
      accountId: r.data.organization_id,
      learned: { org_id: r.data.organization_id, user_id: r.data.user_id },
    };
  },

  async refresh(cred, ctx) {
    const instance = prop(cred, 'instance_url');
    const host = instance === undefined ? undefined : httpsHost(instance);
    if (host === undefined) return missingField(W, 'instance_url');
    const r = await refreshGrant(cred, ctx, W, {
      url: join(tokenBase(host, ctx), '/services/oauth2/token'),
      clientAuth: 'form',
      classify: classifyToken,
    });
    if (!r.ok) return r;
    const { refreshToken } = r;
    const extras = tokenExtras.safeParse(r.json);
    const learned: Record<string, unknown> = {};
    if (extras.success && extras.data.instance_url !== undefined) {
      // The token reply is untrusted (docs/security.md A6): only Salesforce hosts are stored.
      const replyHost = httpsHost(extras.data.instance_url);
      // The same hosts an import accepts: Salesforce's own and the operator's CREDVAULT_PROVIDER_HOSTS_SALESFORCE.
      if (
        replyHost === undefined ||
        !hostMatchesSuffixes(replyHost.replace(/:\d+$/, ''), [...SALESFORCE_HOST_SUFFIXES, ...ctx.extraHosts])
      ) {
        const allowed =
          ctx.extraHosts.length > 0
            ? `salesforce.com, force.com, salesforce.mil and the operator's ${ctx.extraHosts.join(', ')}`
            : 'salesforce.com, force.com and salesforce.mil';
        return failure(
          'invalid_response',
          `Salesforce's token reply named an instance URL outside ${allowed}, so credvault did not use it. Check the connected app and org; if the org lives on another domain, the operator must allow it (CREDVAULT_PROVIDER_HOSTS_SALESFORCE).`,
          { status: 200 },
        );
      }
      learned.instance_url = `https://${replyHost}`;
    }
    // `id` is https://login.salesforce.com/id/{orgId}/{userId}
    const idMatch =
      extras.success && extras.data.id !== undefined ? /\/id\/(00D\w+)\/(005\w+)\/?$/.exec(extras.data.id) : null;
    if (idMatch?.[1] !== undefined && idMatch[2] !== undefined) {
      learned.org_id = idMatch[1];
      learned.user_id = idMatch[2];
    }
    // Salesforce sends no expires_in (the session timeout is an org setting), so expiresAt stays
    // unset; it may rotate the refresh token when the connected app enables rotation.
    return refreshSuccess(r.reply, ctx.now(), refreshToken, learned);
  },
};

/**
 * Revoke of a Salesforce refresh token: POST {instance}/services/oauth2/revoke.
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
 */
export const salesforceRevoke: Revoke = async (cred, ctx, url) => {
  const token = prop(cred, 'refresh_token');
  const instance = prop(cred, 'instance_url');
  const W = { provider: 'Salesforce', credential: 'the refresh token', reauth: '', permissions: '' };
  if (token === undefined || instance === undefined) return missingField(W, 'refresh_token');
  const sent = await send(ctx, W, {
    method: 'POST',
    url: url(join(instance, '/services/oauth2/revoke')),
    headers: { 'content-type': FORM },
    body: formBody({ token }),
  });
  if (!sent.ok) return sent;
  return sent.res.status === 200 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
};
