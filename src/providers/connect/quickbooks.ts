/**
 * QuickBooks Online (Intuit) OAuth 2.0:
 * https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 * authorize https://appcenter.intuit.com/connect/oauth2, token POST
 * https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer (Basic). The callback's realmId is
 * the company. Revoke: POST https://developer.api.intuit.com/v2/oauth2/tokens/revoke {token}.
 */
import { JSON_TYPE, basicAuth, httpFailure, missingField, needApp, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { tokens } from './types.js';

export const quickbooksConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'quickbooks_oauth2',
  requires: [],
  authorizeUrl: () => 'https://appcenter.intuit.com/connect/oauth2',
  tokenUrl: () => 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  clientAuth: 'basic',
  defaultScopes: ['com.intuit.quickbooks.accounting'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: false,
  properties: (reply, query, _start, settings) => ({
    realm_id: query.get('realmId') ?? undefined,
    environment: settings.environment === 'sandbox' ? 'sandbox' : 'production',
    ...tokens(reply),
  }),
  async revoke(cred, ctx, url) {
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
  },
};
