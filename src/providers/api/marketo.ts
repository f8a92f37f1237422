/**
 * Marketo REST API: client-credentials grant against the instance's identity service;
 * identify() runs the grant itself; refresh() runs it to mint a token for POST /access-token.
 * https://experienceleague.adobe.com/en/docs/marketo-developer/marketo/rest/authentication
 *
 * The docs show GET <Identity URL>/oauth/token?grant_type=...&client_id=...&client_secret=...
 * but also accept "an HTTP GET (or POST) request"; credvault POSTs a form body so the secret
 * never sits in a URL (docs/security.md A7).
 */
import type { ProviderContext, ProviderCredential, ProviderModule } from '../module.js';
import { join, missingField, prop, type Wording } from './common.js';
import { refreshSuccess, requestToken } from './oauth.js';

const W: Wording = {
  provider: 'Marketo',
  credential: 'the client credentials',
  reauth:
    'Check client_id and client_secret under Admin > Integration > LaunchPoint > View Details (the custom service may have been deleted or its API-only user deactivated) and import them again.',
  permissions:
    "Give the custom service's API-only user a role with the API permissions it needs (Admin > Users & Roles).",
  notFound:
    'Marketo answered 404 for this Munchkin id: check munchkin_id against Admin > Integration > Web Services (REST API identity URL).',
};

/** The client-credentials grant against the instance's identity service. */
/** Each Marketo instance has its own host: munchkin 123-ABC-456 → 123-abc-456.mktorest.com. */
export function marketoHost(munchkinId: string): string {
  return `${munchkinId.toLowerCase()}.mktorest.com`;
}

async function grant(cred: ProviderCredential, ctx: ProviderContext) {
  const munchkin = prop(cred, 'munchkin_id');
  if (munchkin === undefined || !/^\d{3}-[A-Za-z0-9]{3}-\d{3}$/.test(munchkin)) return missingField(W, 'munchkin_id');
  const clientId = prop(cred, 'client_id');
  if (clientId === undefined) return missingField(W, 'client_id');
  const secret = prop(cred, 'client_secret');
  if (secret === undefined) return missingField(W, 'client_secret');
  const r = await requestToken(ctx, W, {
    url: join(ctx.tenantUrl(marketoHost(munchkin)), '/identity/oauth/token'),
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
    clientIsCredential: true,
  });
  return r.ok ? { ...r, munchkin } : r;
}

export const marketoModule: ProviderModule = {
  provider: 'marketo',
  displayName: W.provider,
  // Each instance has its own host, {munchkin_id}.mktorest.com, reached through ctx.tenantUrl.
  baseUrls: { default: 'https://123-ABC-456.mktorest.com' },

  async identify(cred, ctx) {
    const r = await grant(cred, ctx);
    if (!r.ok) return r;
    // The reply's `scope` is the API-only user's email, not a list of scopes.
    return { ok: true, accountId: r.munchkin.toUpperCase() };
  },

  /** Mints an access token for POST /access-token (the same grant; Marketo tokens live about an hour). */
  async refresh(cred, ctx) {
    const r = await grant(cred, ctx);
    return r.ok ? refreshSuccess(r.reply, ctx.now(), undefined) : r;
  },
};
