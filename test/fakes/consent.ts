/**
 * Fake authorization servers for Connect (docs: Connect, §5): an authorize page with "Allow" and
 * "Deny" buttons, the authorization_code grant at the provider's token path (PKCE checked when
 * a challenge was sent, required where the provider requires it), Shopify's signed callback,
 * QuickBooks' realmId and GitHub's installation page. The account a user consents as is
 * `state.records.get('consent')`; the last code, state and verifier are kept for leak checks.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Provider } from '../../src/providers/types.js';
import { clientOf } from './oauth.js';
import { FAKE_PROVIDERS } from './providers/index.js';
import { type FakeProvider, type FakeReply, type FakeRequest, type FakeRoute, startFakeProvider } from './server.js';
import { type FakeState, type Info, str } from './state.js';

export interface ConsentOptions {
  authorize: RegExp;
  token?: RegExp;
  clientAuth: 'basic' | 'body';
  requirePkce?: boolean;
  /** Fields added to the token reply from the consenting account. */
  extra?: (info: Info) => Record<string, unknown>;
  /** Parameters added to the callback (QuickBooks realmId, Shopify shop/timestamp/hmac). */
  callback?: (info: Info, state: FakeState, params: URLSearchParams, clientId: string) => void;
  noRefreshToken?: boolean;
  github?: boolean;
}

const html = (body: string): FakeReply => ({
  status: 200,
  body: `<!doctype html><html><body>${body}</body></html>`,
  headers: { 'content-type': 'text/html' },
});
const redirect = (url: string): FakeReply => ({ status: 302, body: '', headers: { location: url } });

function consentPage(ticket: string, what: string): FakeReply {
  return html(
    `<h1>Authorize ${what}</h1><form method="post" action="/__consent"><input type="hidden" name="ticket" value="${ticket}"><button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button></form>`,
  );
}

/** Shopify's signature: the parameters but hmac, sorted, k=v joined by &, HMAC-SHA256 hex. */
export function shopifySign(params: URLSearchParams, secret: string): string {
  const msg = [...params.entries()]
    .filter(([k]) => k !== 'hmac')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return createHmac('sha256', secret).update(msg).digest('hex');
}

export function consentRoutes(o: ConsentOptions, ownToken: () => FakeRoute | undefined): FakeRoute[] {
  let tickets = 0;
  const routes: FakeRoute[] = [
    {
      name: 'authorize',
      method: 'GET',
      path: o.authorize,
      handle: (req, state) => {
        const q = req.query;
        const ticket = `ticket-${++tickets}`;
        if (o.github) {
          state.records.set(ticket, {
            state: q.get('state') ?? '',
            redirect_uri: str(state.records.get('setup'), 'url'),
          });
          return consentPage(ticket, 'the GitHub App installation');
        }
        const clientId = q.get('client_id') ?? '';
        if (!state.clients.has(clientId) || q.get('response_type') !== 'code' || !q.get('redirect_uri'))
          return html('<p>invalid_request: unknown client or missing redirect_uri</p>');
        if (o.requirePkce && (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')))
          return html('<p>invalid_request: code_challenge (S256) is required</p>');
        state.records.set(ticket, {
          client_id: clientId,
          redirect_uri: q.get('redirect_uri') ?? '',
          state: q.get('state') ?? '',
          challenge: q.get('code_challenge') ?? '',
          scope: q.get('scope') ?? '',
        });
        state.records.set('last_authorize', Object.fromEntries(q.entries()));
        return consentPage(ticket, clientId);
      },
    },
    {
      name: 'decide',
      method: 'POST',
      path: /^\/__consent$/,
      handle: (req, state) => {
        const form = req.form();
        const t = state.records.get(form.get('ticket') ?? '');
        if (t === undefined) return html('<p>unknown ticket</p>');
        const url = new URL(str(t, 'redirect_uri'));
        const info = state.records.get('consent') ?? {};
        state.records.set('last_state', { value: str(t, 'state') });
        if (form.get('decision') !== 'allow') {
          url.searchParams.set('error', 'access_denied');
          url.searchParams.set('error_description', 'The user denied the request');
          url.searchParams.set('state', str(t, 'state'));
          return redirect(url.toString());
        }
        if (o.github) {
          state.records.set(`installation:${str(info, 'installation_id')}`, info);
          url.searchParams.set('installation_id', str(info, 'installation_id'));
          url.searchParams.set('setup_action', 'install');
          url.searchParams.set('state', str(t, 'state'));
          return redirect(url.toString());
        }
        const code = state.mint('code');
        state.records.set(`code:${code}`, { ...t, info });
        state.records.set('last_code', { value: code });
        url.searchParams.set('code', code);
        url.searchParams.set('state', str(t, 'state'));
        o.callback?.(info, state, url.searchParams, str(t, 'client_id'));
        return redirect(url.toString());
      },
    },
  ];
  if (o.token) {
    routes.push({
      name: 'connect-token',
      method: 'POST',
      path: o.token,
      handle: (req: FakeRequest, state, params) => {
        const form = req.form();
        const code = form.get('code');
        if (form.get('grant_type') === 'refresh_token' || code === null) {
          const own = ownToken();
          return own ? own.handle(req, state, params) : { status: 400, body: { error: 'unsupported_grant_type' } };
        }
        const client = clientOf(req, state, o.clientAuth, form);
        if (client === undefined) return { status: 401, body: { error: 'invalid_client' } };
        const grant = state.records.get(`code:${code}`);
        if (grant === undefined || grant.used === true || str(grant, 'client_id') !== client)
          return { status: 400, body: { error: 'invalid_grant', error_description: 'code unknown or used' } };
        grant.used = true;
        if (!o.github && form.get('redirect_uri') !== null && form.get('redirect_uri') !== str(grant, 'redirect_uri'))
          return { status: 400, body: { error: 'invalid_grant', error_description: 'redirect_uri mismatch' } };
        const challenge = str(grant, 'challenge');
        const verifier = form.get('code_verifier') ?? '';
        state.records.set('last_verifier', { value: verifier });
        if (challenge !== '' && createHash('sha256').update(verifier).digest('base64url') !== challenge)
          return { status: 400, body: { error: 'invalid_grant', error_description: 'PKCE verification failed' } };
        const info = (grant.info ?? {}) as Info;
        const access = state.mint('access');
        state.addAccessToken(access, info);
        const body: Record<string, unknown> = { access_token: access, token_type: 'bearer', ...o.extra?.(info) };
        if (state.expiresIn !== undefined) body.expires_in = state.expiresIn;
        if (!o.noRefreshToken) {
          const refresh = state.mint('refresh');
          state.addRefreshToken(refresh, info);
          body.refresh_token = refresh;
        }
        return { status: 200, body };
      },
    });
  }
  return routes;
}

export const CONSENT: Partial<Record<Provider, ConsentOptions>> = {
  salesforce: {
    authorize: /^\/services\/oauth2\/authorize$/,
    token: /^\/services\/oauth2\/token$/,
    clientAuth: 'body',
    extra: (info) => ({
      instance_url: str(info, 'instance_url'),
      id: `https://login.salesforce.com/id/${str(info, 'org_id')}/${str(info, 'user_id')}`,
      scope: 'api refresh_token',
    }),
  },
  hubspot: { authorize: /^\/oauth\/authorize$/, token: /^\/oauth\/v3\/token$/, clientAuth: 'body' },
  airtable: {
    authorize: /^\/oauth2\/v1\/authorize$/,
    token: /^\/oauth2\/v1\/token$/,
    clientAuth: 'basic',
    requirePkce: true,
    extra: (info) => ({ scope: str(info, 'scope') }),
  },
  shopify: {
    authorize: /^\/admin\/oauth\/authorize$/,
    token: /^\/admin\/oauth\/access_token$/,
    clientAuth: 'body',
    noRefreshToken: true,
    extra: (info) => ({ scope: str(info, 'scope') }),
    callback: (info, state, params, clientId) => {
      params.set('shop', str(info, 'shop'));
      params.set('timestamp', '1337178173');
      const sig = shopifySign(params, state.clients.get(clientId) ?? '');
      params.set('hmac', state.records.has('tamper_hmac') ? sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sig);
    },
  },
  quickbooks: {
    authorize: /^\/connect\/oauth2$/,
    token: /^\/oauth2\/v1\/tokens\/bearer$/,
    clientAuth: 'basic',
    callback: (info, _s, params) => params.set('realmId', str(info, 'realm_id')),
  },
  github: { authorize: /^\/apps\/[^/]+\/installations\/new$/, clientAuth: 'body', github: true },
};

const revoked = (state: FakeState, token: string, ok: FakeReply): FakeReply => {
  if (!state.refreshTokens.has(token) && !state.accessTokens.has(token))
    return { status: 400, body: { error: 'unsupported_token_type' } };
  state.revoke(token);
  return ok;
};

/** Revocation endpoints, at the provider's real paths (src/providers/connect/*.ts). */
export const REVOKE: Partial<Record<Provider, FakeRoute>> = {
  salesforce: {
    name: 'revoke',
    method: 'POST',
    path: /^\/services\/oauth2\/revoke$/,
    handle: (req, state) => revoked(state, req.form().get('token') ?? '', { status: 200 }),
  },
  hubspot: {
    name: 'revoke',
    method: 'POST',
    path: /^\/oauth\/v3\/token\/revoke$/,
    handle: (req, state) =>
      clientOf(req, state, 'body') === undefined
        ? { status: 401, body: { status: 'BAD_CLIENT_ID' } }
        : revoked(state, req.form().get('token') ?? '', { status: 204 }),
  },
  quickbooks: {
    name: 'revoke',
    method: 'POST',
    path: /^\/v2\/oauth2\/tokens\/revoke$/,
    handle: (req, state) => {
      if (clientOf(req, state, 'basic') === undefined) return { status: 401, body: { error: 'invalid_client' } };
      const body = req.json() as { token?: unknown } | undefined;
      return revoked(state, typeof body?.token === 'string' ? body.token : '', { status: 200 });
    },
  },
  github: {
    name: 'revoke',
    method: 'DELETE',
    path: /^\/app\/installations\/(\d+)$/,
    handle: (_req, state, [id]) =>
      state.records.delete(`installation:${id ?? ''}`)
        ? { status: 204 }
        : { status: 404, body: { message: 'Not Found' } },
  },
};

/** A fake provider with its consent pages in front of its own routes (refresh grants still reach its own token route). */
export async function startConsentProvider(provider: Provider): Promise<FakeProvider> {
  const o = CONSENT[provider];
  const own = FAKE_PROVIDERS[provider].routes.find(
    (r) => r.method === 'POST' && o?.token !== undefined && r.path.source === o.token.source,
  );
  const revoke = REVOKE[provider];
  return startFakeProvider(provider, [...(o ? consentRoutes(o, () => own) : []), ...(revoke ? [revoke] : [])]);
}
