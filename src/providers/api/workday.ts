/**
 * Workday OAuth: refresh-token grant against the tenant's token endpoint (refresh tokens are
 * usually registered as non-expiring and are not rotated).
 * refresh:  POST https://{host}/ccx/oauth2/{tenant}/token (Basic client auth)
 *   https://doc.workday.com/admin-guide/en-us/authentication-and-security/authentication/oauth/
 * identify: GET https://{host}/ccx/api/common/v1/{tenant}/workers?limit=1
 *   https://community.workday.com/sites/default/files/file-hosting/restapi/index.html (Common v1)
 */
import { z } from 'zod';
import type { ProviderContext, ProviderCredential, ProviderModule, RefreshResult } from '../module.js';
import { accessTokenFor, bearer, callJson, join, missingField, prop, type Wording } from './common.js';
import { standardRefresh } from './refresh-grant.js';

const W: Wording = {
  provider: 'Workday',
  credential: 'the access token',
  reauth:
    'Generate a new refresh token for the integration user in Workday (View API Clients > Manage Refresh Tokens for Integrations) and import it.',
  permissions:
    "Add the Common/Staffing functional area to the API client's scopes and give the integration user's security group view access to worker data.",
  notFound:
    "Workday answered 404 for this tenant: check host and tenant against the API client's REST endpoint in Workday (View API Clients).",
};

const workers = z.object({ total: z.number().optional(), data: z.array(z.unknown()).optional() }).loose();

/** Path segment for the tenant (validated as text at import; encoded here). */
function tenantOf(cred: ProviderCredential): string | undefined {
  const t = prop(cred, 'tenant');
  return t === undefined ? undefined : encodeURIComponent(t);
}

async function refresh(cred: ProviderCredential, ctx: ProviderContext): Promise<RefreshResult> {
  const host = prop(cred, 'host');
  if (host === undefined) return missingField(W, 'host');
  const tenant = tenantOf(cred);
  if (tenant === undefined) return missingField(W, 'tenant');
  return standardRefresh(cred, ctx, W, {
    url: join(ctx.tenantUrl(host), `/ccx/oauth2/${tenant}/token`),
    clientAuth: 'basic',
  });
}

export const workdayModule: ProviderModule = {
  provider: 'workday',
  displayName: W.provider,
  // Each customer has its own data-center host (wd2-impl-services1.workday.com...), via ctx.tenantUrl.
  baseUrls: { default: 'https://wd2-impl-services1.workday.com' },

  async identify(cred, ctx) {
    const host = prop(cred, 'host');
    if (host === undefined) return missingField(W, 'host');
    const tenant = tenantOf(cred);
    if (tenant === undefined) return missingField(W, 'tenant');
    const token = await accessTokenFor(cred, ctx, refresh);
    if (!token.ok) return token;
    const r = await callJson(
      ctx,
      W,
      {
        method: 'GET',
        url: join(ctx.tenantUrl(host), `/ccx/api/common/v1/${tenant}/workers?limit=1`),
        headers: bearer(token.token),
      },
      { schema: workers },
    );
    if (!r.ok) return r;
    return { ok: true, accountId: prop(cred, 'tenant') ?? tenant };
  },

  refresh,
};
