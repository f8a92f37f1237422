/**
 * GitHub App installation. The App's `app_id` and `private_key` (PEM) come from the OAuth app's
 * settings; credvault signs an RS256 JWT with them.
 * JWT: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
 * identify: GET /app/installations/{id}  https://docs.github.com/en/rest/apps/apps#get-an-installation-for-the-authenticated-app
 * refresh:  POST /app/installations/{id}/access_tokens  https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
 */
import { createPrivateKey, createSign } from 'node:crypto';
import { z } from 'zod';
import type { ProviderContext, ProviderCredential, ProviderFailure, ProviderModule } from '../module.js';
import {
  JSON_TYPE,
  callJson,
  failure,
  header,
  join,
  missingField,
  needApp,
  prop,
  rateLimited,
  retryAfterSeconds,
  unauthorized,
  httpFailure,
  send,
  type Classify,
  type Wording,
} from './common.js';
import type { Revoke } from '../connect.js';

const W: Wording = {
  provider: 'GitHub',
  credential: "the App's JSON web token",
  reauth:
    "Check the GitHub App's app_id and private_key in the credvault OAuth app settings; if the key was deleted, generate a new private key in the App's settings on GitHub and update them.",
  permissions: "Review the App's permissions in its GitHub settings and have the account owner accept them.",
  notFound:
    'GitHub has no such installation of this App: it was uninstalled or installation_id is wrong. Reinstall the App on the account and import the new installation_id.',
};

const API_VERSION = '2022-11-28';

const installation = z
  .object({
    id: z.number().int(),
    account: z.object({ login: z.string(), type: z.string() }).loose().nullable().optional(),
    suspended_at: z.string().nullable().optional(),
  })
  .loose();
const installationToken = z.object({ token: z.string().min(1), expires_at: z.string() }).loose();
const ghError = z.object({ message: z.string() }).loose();

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** An RS256 JWT: iat 60 s in the past (clock drift), exp 9 minutes ahead (GitHub's max is 10). */
export function appJwt(appId: string, privateKeyPem: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const iss: string | number = /^\d+$/.test(appId) ? Number(appId) : appId;
  const head = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify({ iat: t - 60, exp: t + 540, iss }));
  const key = createPrivateKey(privateKeyPem);
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
  return `${head}.${body}.${base64url(sig)}`;
}

/**
 * The primary rate limit answers 403 or 429 with x-ratelimit-remaining: 0 and an epoch-seconds
 * x-ratelimit-reset; secondary limits send Retry-After.
 * https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
 */
function classifyFor(ctx: ProviderContext): Classify {
  return (res, json) => {
    const remaining = header(res, 'x-ratelimit-remaining');
    if (
      (res.status === 403 || res.status === 429) &&
      (remaining === '0' || res.status === 429 || /rate limit/i.test(res.body))
    ) {
      return rateLimited(W, res, retryAfterSeconds(res, ctx.now(), [{ name: 'x-ratelimit-reset', unit: 'epoch_s' }]));
    }
    // The App endpoints authenticate the App's JWT alone: a 401 is the App's key or id, shared by all its installations.
    if (res.status === 401) return { ...unauthorized(W, 401), oauthApp: true };
    const e = ghError.safeParse(json);
    if (res.status === 403 && e.success && /suspended/i.test(e.data.message)) {
      return failure(
        'forbidden',
        'This GitHub App installation is suspended, so GitHub will not issue tokens for it. Ask the account owner to unsuspend the App (Settings > GitHub Apps > Configure).',
        { status: 403 },
      );
    }
    return undefined;
  };
}

interface Prepared {
  id: string;
  headers: Record<string, string>;
}

function prepare(cred: ProviderCredential, ctx: ProviderContext): Prepared | ProviderFailure {
  const id = prop(cred, 'installation_id');
  if (id === undefined || !/^\d+$/.test(id)) return missingField(W, 'installation_id');
  const app = needApp(ctx, W);
  if (!('settings' in app)) return app;
  const appId = app.settings.app_id;
  const pem = app.settings.private_key;
  const appIdText = typeof appId === 'number' ? String(appId) : typeof appId === 'string' ? appId.trim() : '';
  if (appIdText === '' || typeof pem !== 'string' || pem.trim() === '') {
    return failure(
      'misconfigured',
      "The GitHub App's OAuth app settings need app_id and private_key (the PEM key from the App's settings on GitHub). Add them, then check again.",
      { oauthApp: true },
    );
  }
  let jwt: string;
  try {
    jwt = appJwt(appIdText, pem, ctx.now());
  } catch {
    return failure(
      'misconfigured',
      "The GitHub App's private_key in the OAuth app settings is not a valid PEM RSA private key. Paste the full key downloaded from the App's settings on GitHub.",
      { oauthApp: true },
    );
  }
  return {
    id,
    headers: {
      authorization: `Bearer ${jwt}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': API_VERSION,
      'content-type': JSON_TYPE,
    },
  };
}

export const githubModule: ProviderModule = {
  provider: 'github',
  displayName: W.provider,
  baseUrls: { default: 'https://api.github.com' },

  async identify(cred, ctx) {
    const p = prepare(cred, ctx);
    if ('ok' in p) return p;
    const r = await callJson(
      ctx,
      W,
      { method: 'GET', url: join(ctx.baseUrl(), `/app/installations/${p.id}`), headers: p.headers },
      {
        schema: installation,
        classify: classifyFor(ctx),
      },
    );
    if (!r.ok) return r;
    const learned: Record<string, unknown> = {};
    if (r.data.account) {
      learned.account_login = r.data.account.login;
      learned.account_type = r.data.account.type;
    }
    const out = { ok: true as const, accountId: String(r.data.id), learned };
    if (typeof r.data.suspended_at === 'string') {
      return {
        ...out,
        warning: {
          reason: 'forbidden' as const,
          note: 'This GitHub App installation is suspended; GitHub will not issue tokens for it until the account owner unsuspends the App.',
        },
      };
    }
    return out;
  },

  async refresh(cred, ctx) {
    const p = prepare(cred, ctx);
    if ('ok' in p) return p;
    const r = await callJson(
      ctx,
      W,
      {
        method: 'POST',
        url: join(ctx.baseUrl(), `/app/installations/${p.id}/access_tokens`),
        headers: p.headers,
        body: '{}',
      },
      {
        schema: installationToken,
        classify: classifyFor(ctx),
      },
    );
    if (!r.ok) return r;
    const expires = new Date(r.data.expires_at);
    // Installation tokens live one hour and come without a refresh token.
    return Number.isNaN(expires.getTime())
      ? { ok: true, accessToken: r.data.token }
      : { ok: true, accessToken: r.data.token, expiresAt: expires };
  },
};

/**
 * Revoke of a GitHub App installation: uninstall, DELETE /app/installations/{id} with the App's JWT.
 * https://docs.github.com/en/rest/apps/apps#delete-an-installation-for-the-authenticated-app
 */
export const githubRevoke: Revoke = async (cred, ctx, url) => {
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
};
