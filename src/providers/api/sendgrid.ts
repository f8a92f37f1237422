/**
 * SendGrid API key.
 * identify: GET /v3/scopes  https://www.twilio.com/docs/sendgrid/api-reference/api-key-permissions/retrieve-a-list-of-scopes-for-which-this-user-has-access
 *   then, when the key may read it, GET /v3/user/username for the account's user_id
 *   https://www.twilio.com/docs/sendgrid/api-reference/users-api/get-account-profile
 */
import { z } from 'zod';
import type { ProviderContext, ProviderModule } from '../module.js';
import { bearer, callJson, join, missingField, prop, type ResetHeader, type Wording } from './common.js';

const W: Wording = {
  provider: 'SendGrid',
  credential: 'the API key',
  reauth: 'Create a new API key in SendGrid (Settings > API Keys) and import it in place of this one.',
  permissions:
    "Give the key the permissions it needs (Settings > API Keys > Edit), and if IP Access Management is on, allow credvault's outbound address.",
};

/** SendGrid sends X-RateLimit-Reset as epoch seconds: https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits */
const RESETS: ResetHeader[] = [{ name: 'x-ratelimit-reset', unit: 'epoch_s' }];

const scopes = z.object({ scopes: z.array(z.string()) }).loose();
const username = z.object({ user_id: z.number().int() }).loose();

async function userId(ctx: ProviderContext, key: string): Promise<string | undefined> {
  const r = await callJson(
    ctx,
    W,
    { method: 'GET', url: join(ctx.baseUrl(), '/v3/user/username'), headers: bearer(key) },
    { schema: username, resets: RESETS },
  );
  return r.ok ? String(r.data.user_id) : undefined;
}

export const sendgridModule: ProviderModule = {
  provider: 'sendgrid',
  displayName: W.provider,
  baseUrls: { default: 'https://api.sendgrid.com' },

  async identify(cred, ctx) {
    const key = prop(cred, 'api_key');
    if (key === undefined) return missingField(W, 'api_key');
    const r = await callJson(
      ctx,
      W,
      { method: 'GET', url: join(ctx.baseUrl(), '/v3/scopes'), headers: bearer(key) },
      { schema: scopes, resets: RESETS },
    );
    if (!r.ok) return r;
    // The key works. The account id needs user.username.read; without it the key is still fine,
    // and credvault keeps identifying it by fingerprint.
    const id = r.data.scopes.includes('user.username.read') ? await userId(ctx, key) : undefined;
    return id === undefined ? { ok: true, scopes: r.data.scopes } : { ok: true, accountId: id, scopes: r.data.scopes };
  },
};
