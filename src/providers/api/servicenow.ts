/**
 * ServiceNow OAuth against the customer's instance.
 * identify: GET {instance}/api/now/table/sys_user (one row: the token's own user)
 *   https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html
 * refresh:  POST {instance}/oauth_token.do, grant_type=refresh_token
 *   https://www.servicenow.com/docs/bundle/zurich-platform-security/page/administer/security/concept/c_OAuthApplications.html
 */
import { z } from 'zod';
import type { ProviderContext, ProviderCredential, ProviderModule, RefreshResult } from '../module.js';
import {
  accessTokenFor,
  bearer,
  callJson,
  failure,
  httpsHost,
  join,
  missingField,
  prop,
  type Classify,
  type Wording,
} from './common.js';
import { oauthError } from './oauth.js';
import { standardRefresh } from './refresh-grant.js';

const W: Wording = {
  provider: 'ServiceNow',
  credential: 'the access token',
  reauth: 'Authorize the OAuth client again on the instance and import the new refresh token.',
  permissions: "Give the OAuth user a role that can read sys_user (or its own record), or adjust the table's ACLs.",
  notFound:
    'The ServiceNow instance answered 404 for the Table API: the instance may be renamed, hibernating or retired. Check instance_url.',
};

const users = z.object({ result: z.array(z.object({ user_name: z.string().optional() }).loose()) }).loose();

/**
 * ServiceNow answers an expired or revoked refresh token (and a wrong client secret) with
 * 401 {"error":"server_error","error_description":"access_denied"} rather than invalid_grant:
 * https://www.servicenow.com/community/developer-forum/oauth2-token-request-returned-401/td-p/3590623
 */
const classifyToken: Classify = (res, json) => {
  const e = oauthError.safeParse(json);
  if (
    res.status === 401 &&
    e.success &&
    e.data.error === 'server_error' &&
    e.data.error_description === 'access_denied'
  ) {
    return failure(
      'invalid_grant',
      'ServiceNow refused the refresh (401 access_denied): the refresh token expired or was revoked, or the OAuth client id/secret no longer match the instance. Re-authorize and import the new refresh token, or fix the OAuth app in credvault.',
      { status: 401 },
    );
  }
  return undefined;
};

async function refresh(cred: ProviderCredential, ctx: ProviderContext): Promise<RefreshResult> {
  const host = httpsHost(prop(cred, 'instance_url') ?? '');
  if (host === undefined) return missingField(W, 'instance_url');
  // ServiceNow repeats the same refresh token in the reply unless the instance rotates them.
  return standardRefresh(cred, ctx, W, {
    url: join(ctx.tenantUrl(host), '/oauth_token.do'),
    clientAuth: 'form',
    classify: classifyToken,
  });
}

export const servicenowModule: ProviderModule = {
  provider: 'servicenow',
  displayName: W.provider,
  // Every instance is its own host ({instance}.service-now.com), reached through ctx.tenantUrl.
  baseUrls: { default: 'https://instance.service-now.com' },

  async identify(cred, ctx) {
    const host = httpsHost(prop(cred, 'instance_url') ?? '');
    if (host === undefined) return missingField(W, 'instance_url');
    const token = await accessTokenFor(cred, ctx, refresh);
    if (!token.ok) return token;
    // `javascript:gs.getUserID()` in an encoded query is ServiceNow's documented way to name the
    // caller; one row, two fields.
    const query = new URLSearchParams({
      sysparm_query: 'sys_id=javascript:gs.getUserID()',
      sysparm_fields: 'sys_id,user_name',
      sysparm_limit: '1',
    });
    const r = await callJson(
      ctx,
      W,
      {
        method: 'GET',
        url: join(ctx.tenantUrl(host), `/api/now/table/sys_user?${query.toString()}`),
        headers: bearer(token.token),
      },
      { schema: users },
    );
    if (!r.ok) return r;
    const userName = r.data.result[0]?.user_name;
    return {
      ok: true,
      accountId: host,
      learned: userName === undefined || userName === '' ? {} : { username: userName },
    };
  },

  refresh,
};
