/**
 * GitHub App installation: https://docs.github.com/en/apps/using-github-apps/installing-a-github-app-from-a-third-party
 * The user is sent to https://github.com/apps/{slug}/installations/new?state=…; GitHub comes
 * back to the App's Setup URL with installation_id and setup_action. credvault checks the
 * installation with the App's JWT (identify) before storing. Revoke: uninstall, DELETE
 * /app/installations/{id} https://docs.github.com/en/rest/apps/apps#delete-an-installation-for-the-authenticated-app
 */
import { appJwt } from '../api/github.js';
import { failure, httpFailure, missingField, needApp, prop, send } from '../api/common.js';
import type { GithubAppConnect } from './types.js';

export const githubConnect: GithubAppConnect = {
  flow: 'github_app',
  kind: 'github_app',
  installUrl: (i) =>
    `https://github.com/apps/${encodeURIComponent(typeof i.settings.slug === 'string' ? i.settings.slug : '')}/installations/new`,
  async revoke(cred, ctx, url) {
    const W = { provider: 'GitHub', credential: "the App's JSON web token", reauth: '', permissions: '' };
    const id = prop(cred, 'installation_id');
    if (id === undefined) return missingField(W, 'installation_id');
    const app = needApp(ctx, W);
    if (!('settings' in app)) return app;
    const appId = app.settings.app_id;
    const pem = app.settings.private_key;
    let jwt: string;
    try {
      jwt = appJwt(String(appId), typeof pem === 'string' ? pem : '', ctx.now());
    } catch {
      return failure(
        'misconfigured',
        "The GitHub App's private_key in the OAuth app settings is not a valid PEM RSA private key.",
      );
    }
    const sent = await send(ctx, W, {
      method: 'DELETE',
      url: url(`https://api.github.com/app/installations/${id}`),
      headers: {
        authorization: `Bearer ${jwt}`,
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
      },
    });
    if (!sent.ok) return sent;
    return sent.res.status === 204 || sent.res.status === 200 ? { ok: true } : httpFailure(W, sent.res, ctx.now());
  },
};
