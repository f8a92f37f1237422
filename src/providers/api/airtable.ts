/**
 * Airtable OAuth. Airtable rotates the refresh token on every refresh.
 * identify: GET api.airtable.com/v0/meta/whoami  https://airtable.com/developers/web/api/get-user-id-scopes
 * refresh:  POST airtable.com/oauth2/v1/token (client credentials in Basic auth)
 *   https://airtable.com/developers/web/api/oauth-reference#token-expiry-refresh-tokens
 */
import { z } from 'zod';
import type { ProviderContext, ProviderModule } from '../module.js';
import {
  bearer,
  callJson,
  join,
  noAccessToken,
  prop,
  rateLimited,
  retryAfterSeconds,
  type Classify,
  type Wording,
} from './common.js';
import { standardRefresh } from './refresh-grant.js';

const W: Wording = {
  provider: 'Airtable',
  credential: 'the access token',
  reauth: 'Have the user authorize the integration again and import the new refresh token.',
  permissions:
    'Add the missing scopes to the integration at airtable.com/create/oauth and have the user authorize it again.',
};

const whoami = z.object({ id: z.string().min(1), scopes: z.array(z.string()).optional() }).loose();

/**
 * Airtable sends no Retry-After: after a 429 "you will need to wait 30 seconds before
 * subsequent requests will succeed", https://airtable.com/developers/web/api/rate-limits
 */
const AIRTABLE_BACKOFF_SECONDS = 30;

function classifyFor(ctx: ProviderContext): Classify {
  return (res) =>
    res.status === 429 ? rateLimited(W, res, retryAfterSeconds(res, ctx.now()) ?? AIRTABLE_BACKOFF_SECONDS) : undefined;
}

export const airtableModule: ProviderModule = {
  provider: 'airtable',
  displayName: W.provider,
  baseUrls: { default: 'https://api.airtable.com', oauth: 'https://airtable.com' },

  async identify(cred, ctx) {
    const token = prop(cred, 'access_token');
    if (token === undefined) return noAccessToken(W);
    const r = await callJson(
      ctx,
      W,
      { method: 'GET', url: join(ctx.baseUrl(), '/v0/meta/whoami'), headers: bearer(token) },
      { schema: whoami, classify: classifyFor(ctx) },
    );
    if (!r.ok) return r;
    const out = { ok: true as const, accountId: r.data.id, learned: { airtable_uid: r.data.id } };
    return r.data.scopes === undefined ? out : { ...out, scopes: r.data.scopes };
  },

  async refresh(cred, ctx) {
    return standardRefresh(cred, ctx, W, {
      url: join(ctx.baseUrl('oauth'), '/oauth2/v1/token'),
      clientAuth: 'basic',
      classify: classifyFor(ctx),
    });
  },
};
