/**
 * Connect, the browser side (docs: Connect, §1-§3): the start link and the provider callback;
 * credvault's own key form is key-form.ts, the helpers both share session.ts. Each answer is an
 * Outcome the route renders; nothing secret is logged, put in a URL (other than the provider's
 * own state/code) or rendered.
 */
import { requestToken } from '../providers/api/oauth.js';
import { type ConnectSpec, type OAuthConnect, rebase } from '../providers/connect.js';
import { type Kind, type Provider, kindSpec } from '../providers/registry.js';
import type { OAuthAppRow } from '../oauth-apps/service.js';
import { messagePage } from './html.js';
import { createKeyForm } from './key-form.js';
import type { SessionRow } from './repository.js';
import { BAD_CALLBACK, type FlowDeps, type Outcome, createSessionHelpers } from './session.js';
import { codeChallenge, digest, flowCookieName, matchesDigest, randomToken } from './tokens.js';

export type { FlowDeps, Outcome } from './session.js';

const GONE = messagePage('This link is no longer valid', [
  'The link has already been used or has expired.',
  'Go back to the app that sent you here and start again.',
]);
const UNKNOWN = messagePage('Link not found', [
  'This link does not exist.',
  'Go back to the app that sent you here and start again.',
]);

const verifierPlace = (r: SessionRow) => ({
  table: 'connect_sessions',
  accountId: r.account_id,
  rowId: r.id,
  field: 'verifier',
});

export function createConnectFlow(d: FlowDeps) {
  const session = createSessionHelpers(d);
  const { requestOf, appSecrets, appOf, fail, failProvider, store } = session;
  const { formOutcome, submitForm } = createKeyForm(d, session);
  const cookieFor = (r: SessionRow, value: string, maxAge: number) =>
    `${flowCookieName(r.id)}=${value}; Path=/link; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${d.publicUrl.startsWith('https:') ? '; Secure' : ''}`;

  function authorizeUrl(
    r: SessionRow,
    flow: OAuthConnect,
    app: OAuthAppRow,
    state: string,
    verifier: string | null,
  ): string {
    const req = requestOf(r);
    const input = { props: req.properties, settings: app.settings };
    const u = new URL(rebase(flow.authorizeUrl(input), d.providerUrls[r.provider as Provider]));
    const scopes = [...new Set([...flow.defaultScopes, ...req.scopes])];
    u.searchParams.set('response_type', 'code');
    u.searchParams.set('client_id', app.client_id);
    u.searchParams.set('redirect_uri', `${d.publicUrl}/link/oauth2/callback/${r.provider}`);
    if (scopes.length > 0) u.searchParams.set('scope', scopes.join(flow.scopeSeparator));
    u.searchParams.set('state', state);
    if (verifier !== null) {
      u.searchParams.set('code_challenge', codeChallenge(verifier));
      u.searchParams.set('code_challenge_method', 'S256');
    }
    for (const [k, v] of Object.entries(flow.extraParams)) u.searchParams.set(k, v);
    return u.toString();
  }

  return {
    async openLink(token: string): Promise<Outcome> {
      const now = d.clock.now();
      const state = randomToken();
      const cookie = randomToken();
      const csrf = randomToken();
      const verifier = randomToken();
      // The link is claimed first (atomically); the verifier is sealed to the row's id and the
      // deadline taken from its request right after, before the browser has any state.
      const pending = await d.repo.openLink(digest(token), now, {
        stateDigest: digest(state),
        cookieDigest: digest(cookie),
        csrfDigest: digest(csrf),
        verifier: null,
        flowExpiresAt: now,
      });
      if (!('row' in pending))
        return {
          type: 'page',
          status: pending.why === 'unknown' ? 404 : 410,
          html: pending.why === 'unknown' ? UNKNOWN : GONE,
        };
      const r = pending.row;
      const req = requestOf(r);
      const flow: ConnectSpec = kindSpec(r.credential_kind as Kind).connect;
      const expiresAt = new Date(now.getTime() + req.expires_in * 1000);
      const sealed = flow.flow === 'oauth' && flow.pkce ? d.box.seal(verifier, verifierPlace(r)) : null;
      await d.repo.setFlow(r.id, sealed, expiresAt);
      const setCookie = cookieFor(r, cookie, req.expires_in);
      d.log.info({ connect_session_id: r.id, kind: r.credential_kind }, 'connect link opened');
      if (flow.flow === 'key') return { ...(await formOutcome(r, flow, csrf, 200)), cookie: setCookie } as Outcome;
      const app = await appOf(r);
      if (!app) return fail(r, 'server_error', 'misconfigured', 'The OAuth app of this flow no longer exists.');
      if (flow.flow === 'github_app') {
        const u = new URL(
          rebase(flow.installUrl({ props: req.properties, settings: app.settings }), d.providerUrls.github),
        );
        u.searchParams.set('state', state);
        return { type: 'redirect', url: u.toString(), cookie: setCookie };
      }
      return {
        type: 'redirect',
        url: authorizeUrl(r, flow, app, state, sealed === null ? null : verifier),
        cookie: setCookie,
      };
    },

    async callback(
      provider: string,
      query: URLSearchParams,
      cookieHeader: (name: string) => string | undefined,
    ): Promise<Outcome> {
      const state = query.get('state') ?? '';
      const r = state === '' ? undefined : await d.repo.byState(digest(state));
      const now = d.clock.now();
      const bad: Outcome = { type: 'page', status: 400, html: BAD_CALLBACK };
      if (!r || r.provider !== provider || r.status !== 'authorizing' || new Date(r.expires_at) <= now) return bad;
      if (!matchesDigest(cookieHeader(flowCookieName(r.id)), r.cookie_digest)) return bad;
      const flow: ConnectSpec = kindSpec(r.credential_kind as Kind).connect;
      if (flow.flow === 'key' || !(await d.repo.claim(r.id, now))) return bad;
      const err = query.get('error');
      if (err !== null) {
        const known = [
          'access_denied',
          'invalid_scope',
          'unauthorized_client',
          'temporarily_unavailable',
          'server_error',
          'invalid_request',
        ];
        const name = known.includes(err) ? err : 'access_denied';
        return fail(
          r,
          name,
          name,
          name === 'access_denied'
            ? 'The user declined the authorization at the provider.'
            : `The provider answered ${name}.`,
        );
      }
      const app = await appOf(r);
      if (!app) return fail(r, 'server_error', 'misconfigured', 'The OAuth app of this flow no longer exists.');
      const secrets = appSecrets(app);
      const module = d.modules[r.provider as Provider];
      const ctx = d.context(module, secrets);
      const req = requestOf(r);

      if (flow.flow === 'github_app') {
        const installation = query.get('installation_id') ?? '';
        if (!/^\d{1,20}$/.test(installation))
          return fail(r, 'invalid_request', 'invalid_request', 'GitHub did not name an installation.');
        const props = { installation_id: Number(installation) };
        const found = await module.identify({ kind: 'github_app', properties: props }, ctx);
        if (!found.ok) return failProvider(r, found, 'checking the installation');
        return store(r, app, props, found);
      }

      if (flow.proof !== undefined && !flow.proof(query, secrets.clientSecret, req.properties)) {
        return fail(
          r,
          'invalid_request',
          'invalid_request',
          'The callback was not signed by the provider for this shop; nothing was stored.',
        );
      }
      const code = query.get('code') ?? '';
      if (code === '') return fail(r, 'invalid_request', 'invalid_request', 'The provider sent no authorization code.');
      const verifier = r.verifier === null ? undefined : d.box.open(r.verifier, verifierPlace(r));
      const input = { props: req.properties, settings: app.settings };
      const W = {
        provider: module.displayName,
        credential: 'the authorization code',
        reauth: 'Start the Connect flow again.',
        permissions: 'Check the scopes the app asks for.',
      };
      const form: Record<string, string | undefined> = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: `${d.publicUrl}/link/oauth2/callback/${r.provider}`,
        code_verifier: verifier,
      };
      if (flow.clientAuth === 'form')
        Object.assign(form, { client_id: secrets.clientId, client_secret: secrets.clientSecret });
      const auth =
        flow.clientAuth === 'basic'
          ? { basic: { user: secrets.clientId, pass: secrets.clientSecret } }
          : flow.clientAuth === 'stripe'
            ? { basic: { user: secrets.clientSecret, pass: '' } }
            : {};
      const token = await requestToken(ctx, W, {
        url: rebase(flow.tokenUrl(input), d.providerUrls[r.provider as Provider]),
        form,
        ...auth,
      });
      if (!token.ok) return failProvider(r, token, 'the code exchange');
      const props = flow.properties(token.reply, query, req.properties, app.settings);
      const found = await module.identify({ kind: r.credential_kind as Kind, properties: props }, ctx);
      if (!found.ok) return failProvider(r, found, 'identifying the account');
      return store(r, app, flow.identified ? flow.identified(props, found) : props, found);
    },

    submitForm,
  };
}

export type ConnectFlow = ReturnType<typeof createConnectFlow>;
