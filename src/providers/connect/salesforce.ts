/**
 * Salesforce web server flow with PKCE:
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm
 * authorize {login}/services/oauth2/authorize, token {login}/services/oauth2/token; the reply's
 * instance_url and id (…/id/<org>/<user>) name the org. Revoke: POST /services/oauth2/revoke
 * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_revoke_token.htm
 */
import { FORM, formBody, httpFailure, join, missingField, prop, send } from '../api/common.js';
import type { OAuthConnect } from './types.js';
import { replyText, tokens } from './types.js';

const login = (settings: Readonly<Record<string, unknown>>) =>
  (typeof settings.login_url === 'string' && settings.login_url !== ''
    ? settings.login_url
    : 'https://login.salesforce.com'
  ).replace(/\/+$/, '');

export const salesforceConnect: OAuthConnect = {
  flow: 'oauth',
  kind: 'salesforce_oauth2',
  requires: [],
  authorizeUrl: (i) => `${login(i.settings)}/services/oauth2/authorize`,
  tokenUrl: (i) => `${login(i.settings)}/services/oauth2/token`,
  clientAuth: 'form',
  defaultScopes: ['api', 'refresh_token'],
  scopeSeparator: ' ',
  extraParams: {},
  pkce: true,
  properties(reply) {
    const id = /\/id\/([^/]+)\/([^/]+)$/.exec(replyText(reply, 'id') ?? '');
    return {
      instance_url: replyText(reply, 'instance_url'),
      ...tokens(reply),
      ...(id ? { org_id: id[1], user_id: id[2] } : {}),
    };
  },
  async revoke(cred, ctx, url) {
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
  },
};
