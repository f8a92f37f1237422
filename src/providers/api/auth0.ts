/**
 * Auth0 machine-to-machine application: identify() runs the client-credentials grant itself;
 * refresh() runs it to mint a token for POST /access-token.
 * POST https://{domain}/oauth/token, grant_type=client_credentials, audience = Management API
 * https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow/call-your-api-using-the-client-credentials-flow
 */
import { z } from 'zod';
import type { ProviderContext, ProviderCredential, ProviderModule } from '../module.js';
import {
  failure,
  forbidden,
  join,
  missingField,
  prop,
  type Classify,
  type ResetHeader,
  type Wording,
} from './common.js';
import { oauthError, refreshSuccess, requestToken } from './oauth.js';

const W: Wording = {
  provider: 'Auth0',
  credential: 'the client credentials',
  reauth:
    "Check client_id and client_secret against the application's settings in the Auth0 Dashboard (the secret may have been rotated) and import them again.",
  permissions:
    'Authorize the application for the API in the Auth0 Dashboard (Applications > APIs > Machine to Machine Applications) and grant it scopes.',
  notFound: 'Auth0 answered 404 for this domain: check that domain names an existing tenant or custom domain.',
};

/** Auth0 rate-limit headers carry an epoch-seconds reset: https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy */
const RESETS: ResetHeader[] = [{ name: 'x-ratelimit-reset', unit: 'epoch_s' }];

const jwtClaims = z.object({ iss: z.string().optional() }).loose();

/** The tenant that issued the token, from the (unverified) JWT's iss; informational only. */
function issuerHost(accessToken: string): string | undefined {
  const payload = accessToken.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = jwtClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!claims.success || claims.data.iss === undefined) return undefined;
    return new URL(claims.data.iss).host;
  } catch {
    return undefined;
  }
}

/**
 * 403 access_denied "Client is not authorized to access <audience>" means no client grant for
 * the API; unauthorized_client means the Client Credentials grant type is off for the app.
 * https://auth0.com/docs/get-started/applications/application-grant-types
 */
const classify: Classify = (res, json) => {
  const e = oauthError.safeParse(json);
  if (!e.success) return undefined;
  if (res.status === 403 && e.data.error === 'access_denied') return forbidden(W, 403, 'missing_scope');
  if (e.data.error === 'unauthorized_client') {
    return failure(
      'forbidden',
      "Auth0 does not allow this application the Client Credentials grant (unauthorized_client). Enable it under the application's Advanced Settings > Grant Types.",
      { status: res.status },
    );
  }
  return undefined;
};

/** The client-credentials grant for the credential's API (the Management API unless the app's settings name another). */
async function grant(cred: ProviderCredential, ctx: ProviderContext) {
  const domain = prop(cred, 'domain');
  if (domain === undefined) return missingField(W, 'domain');
  const clientId = prop(cred, 'client_id');
  if (clientId === undefined) return missingField(W, 'client_id');
  const secret = prop(cred, 'client_secret');
  if (secret === undefined) return missingField(W, 'client_secret');
  const configured = ctx.oauthApp?.settings.audience;
  const audience = typeof configured === 'string' && configured !== '' ? configured : `https://${domain}/api/v2/`;
  const r = await requestToken(ctx, W, {
    url: join(ctx.tenantUrl(domain), '/oauth/token'),
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience },
    clientIsCredential: true,
    classify,
    resets: RESETS,
  });
  return r.ok ? { ...r, domain } : r;
}

export const auth0Module: ProviderModule = {
  provider: 'auth0',
  displayName: W.provider,
  // The tenant or custom domain is per credential, reached through ctx.tenantUrl.
  baseUrls: { default: 'https://tenant.auth0.com' },

  /** Runs the grant itself: a working token proves the client credentials. */
  async identify(cred, ctx) {
    const r = await grant(cred, ctx);
    if (!r.ok) return r;
    const out = { ok: true as const, accountId: issuerHost(r.reply.access_token) ?? r.domain };
    const scope = r.reply.scope?.trim();
    return scope === undefined || scope === '' ? out : { ...out, scopes: scope.split(/\s+/) };
  },

  /** Mints an access token for POST /access-token (the same grant; Auth0 tokens live 24 h by default). */
  async refresh(cred, ctx) {
    const r = await grant(cred, ctx);
    return r.ok ? refreshSuccess(r.reply, ctx.now(), undefined) : r;
  },
};
