/**
 * QuickBooks Online OAuth. Intuit rotates refresh tokens; the company lives on the production
 * or the sandbox host.
 * identify: GET /v3/company/{realmId}/companyinfo/{realmId}
 *   https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
 * refresh:  POST oauth.platform.intuit.com/oauth2/v1/tokens/bearer (Basic client auth)
 *   https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#refresh-the-token
 */
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import {
  bearer,
  callJson,
  failure,
  join,
  missingField,
  noAccessToken,
  prop,
  JSON_TYPE,
  basicAuth,
  httpFailure,
  needApp,
  send,
  type Classify,
  type Wording,
} from './common.js';
import type { Revoke } from '../connect.js';
import { standardRefresh } from './refresh-grant.js';

const W: Wording = {
  provider: 'QuickBooks',
  credential: 'the access token',
  reauth: 'Reconnect the QuickBooks company (the user must authorize the app again) and import the new refresh token.',
  permissions:
    'The user who connected the company may have lost admin rights or the app its accounting scope; reconnect with a company admin.',
  notFound:
    'QuickBooks does not know this company (realm_id) in the chosen environment. Check realm_id and environment (production or sandbox).',
};

const companyInfo = z.object({ CompanyInfo: z.object({ CompanyName: z.string().optional() }).loose() }).loose();
const fault = z
  .object({
    Fault: z
      .object({
        type: z.string().optional(),
        Error: z.array(z.object({ code: z.string().optional() }).loose()).optional(),
      })
      .loose(),
  })
  .loose();

/**
 * QuickBooks wraps errors in {"Fault":{"Error":[{"code":"3200"...}],"type":"AUTHENTICATION"}};
 * code 3100 (ApplicationAuthorizationFailed) means the app lost access to this company.
 * https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
 */
const classify: Classify = (res, json) => {
  const f = fault.safeParse(json);
  if (!f.success) return undefined;
  const codes = (f.data.Fault.Error ?? []).map((e) => (e.code ?? '').replace(/^0+/, ''));
  if (codes.includes('3200') || f.data.Fault.type === 'AUTHENTICATION') {
    return failure(
      'unauthorized',
      `QuickBooks rejected the access token (AuthenticationFailed, HTTP ${res.status}): it expired or the connection was revoked. ${W.reauth}`,
      { status: res.status },
    );
  }
  if (codes.includes('3100')) {
    return failure(
      'forbidden',
      `QuickBooks refused access to this company (ApplicationAuthorizationFailed, HTTP ${res.status}). ${W.permissions}`,
      { status: res.status },
    );
  }
  return undefined;
};

export const quickbooksModule: ProviderModule = {
  provider: 'quickbooks',
  displayName: W.provider,
  baseUrls: {
    default: 'https://quickbooks.api.intuit.com',
    sandbox: 'https://sandbox-quickbooks.api.intuit.com',
    oauth: 'https://oauth.platform.intuit.com',
  },

  async identify(cred, ctx) {
    const realm = prop(cred, 'realm_id');
    if (realm === undefined || !/^\d+$/.test(realm)) return missingField(W, 'realm_id');
    const token = prop(cred, 'access_token');
    if (token === undefined) return noAccessToken(W);
    const base = prop(cred, 'environment') === 'sandbox' ? ctx.baseUrl('sandbox') : ctx.baseUrl();
    const r = await callJson(
      ctx,
      W,
      {
        method: 'GET',
        url: join(base, `/v3/company/${realm}/companyinfo/${realm}?minorversion=75`),
        headers: bearer(token),
      },
      { schema: companyInfo, classify },
    );
    if (!r.ok) return r;
    return { ok: true, accountId: realm };
  },

  async refresh(cred, ctx) {
    // Intuit answers every refresh with a refresh_token, sometimes the same one; refreshSuccess
    // reports it only when it changed.
    return standardRefresh(cred, ctx, W, {
      url: join(ctx.baseUrl('oauth'), '/oauth2/v1/tokens/bearer'),
      clientAuth: 'basic',
    });
  },
};

/**
 * Revoke of a QuickBooks refresh token: POST https://developer.api.intuit.com/v2/oauth2/tokens/revoke {token}.
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 */
export const quickbooksRevoke: Revoke = async (cred, ctx, url) => {
  const W = { provider: 'QuickBooks', credential: 'the refresh token', reauth: '', permissions: '' };
  const token = prop(cred, 'refresh_token');
  if (token === undefined) return missingField(W, 'refresh_token');
  const app = needApp(ctx, W);
  if (!('clientSecret' in app)) return app;
  const sent = await send(ctx, W, {
    method: 'POST',
    url: url('https://developer.api.intuit.com/v2/oauth2/tokens/revoke'),
    headers: {
      'content-type': JSON_TYPE,
      accept: JSON_TYPE,
      authorization: basicAuth(app.clientId, app.clientSecret),
    },
    body: JSON.stringify({ token }),
  });
  if (!sent.ok) return sent;
  return sent.res.status === 200 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
};
