/**
 * Connect, the browser side (docs: Connect, §1-§3): the start link, the provider callback and
 * credvault's own key form. Each answer is an Outcome the route renders; nothing secret is
 * logged, put in a URL (other than the provider's own state/code) or rendered.
 */
import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AccountMismatchError, type CredentialService } from '../credentials/service.js';
import type { Clock } from '../lib/clock.js';
import { ValidationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { OAuthAppRow, OAuthAppService } from '../oauth-apps/service.js';
import { requestToken } from '../providers/api/oauth.js';
import { type ConnectSpec, type OAuthConnect, rebase } from '../providers/connect.js';
import type {
  IdentifyResult,
  OAuthAppSecrets,
  ProviderContext,
  ProviderFailure,
  ProviderModule,
} from '../providers/module.js';
import { TRANSIENT_REASONS } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import { type Kind, type Provider, kindSpec } from '../providers/registry.js';
import { keyFormPage, messagePage } from './html.js';
import type { ConnectRepository, SessionRow } from './repository.js';
import { codeChallenge, digest, flowCookieName, matchesDigest, randomToken } from './tokens.js';

export type Outcome =
  | { type: 'redirect'; url: string; cookie?: string }
  | { type: 'page'; status: number; html: string; formTarget?: string };

export interface FlowDeps {
  repo: ConnectRepository;
  oauthApps: OAuthAppService;
  credentials: Pick<CredentialService, 'importCredential'>;
  audit: AuditService;
  box: SecretBox;
  clock: Clock;
  log: Logger;
  spec(kind: string): KindSpec | undefined;
  modules: Record<Provider, ProviderModule>;
  context(module: ProviderModule, app?: OAuthAppSecrets): ProviderContext;
  providerUrls: Partial<Record<Provider, string>>;
  publicUrl: string;
  /** Health of a credential the provider has just accepted. */
  provenHealth(warning?: { reason: ProviderFailure['reason']; note: string }): object;
}

interface Request {
  state: unknown;
  name?: string;
  metadata?: Record<string, unknown>;
  scopes: string[];
  properties: Record<string, string>;
  credential_id?: string;
  expires_in: number;
  actor_token_id: string | null;
}

const CODE_TTL_MS = 10 * 60_000;
const GONE = messagePage('This link is no longer valid', [
  'The link has already been used or has expired.',
  'Go back to the app that sent you here and start again.',
]);
const UNKNOWN = messagePage('Link not found', [
  'This link does not exist.',
  'Go back to the app that sent you here and start again.',
]);
const BAD_CALLBACK = messagePage('This sign-in could not be completed', [
  'credvault could not match this page to a sign-in started in this browser, or it was already completed or has expired.',
  'Nothing was stored. Go back to the app that sent you here and start again.',
]);

const verifierPlace = (r: SessionRow) => ({
  table: 'connect_sessions',
  accountId: r.account_id,
  rowId: r.id,
  field: 'verifier',
});

export function createConnectFlow(d: FlowDeps) {
  const requestOf = (r: SessionRow) => r.request as unknown as Request;
  const appSecrets = (row: OAuthAppRow): OAuthAppSecrets => {
    const revealed = d.oauthApps.reveal(row);
    return {
      clientId: row.client_id,
      clientSecret: revealed.clientSecret,
      settings: { ...row.settings, ...revealed.settings },
    };
  };
  const appOf = async (r: SessionRow) =>
    r.oauth_app_id ? await d.oauthApps.getRow(r.account_id, r.oauth_app_id).catch(() => undefined) : undefined;
  const cookieFor = (r: SessionRow, value: string, maxAge: number) =>
    `${flowCookieName(r.id)}=${value}; Path=/link; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${d.publicUrl.startsWith('https:') ? '; Secure' : ''}`;
  const back = (r: SessionRow, params: Record<string, string>) => {
    const u = new URL(r.redirect_url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  };

  async function fail(r: SessionRow, error: string, reason: string, message: string): Promise<Outcome> {
    const now = d.clock.now();
    await d.repo.fail(r.id, { reason, message }, now);
    d.log.warn({ connect_session_id: r.id, kind: r.credential_kind, reason }, 'connect flow failed');
    await d.audit.record({
      accountId: r.account_id,
      actorTokenId: requestOf(r).actor_token_id,
      action: 'connect.failed',
      ...(r.oauth_app_id ? { oauthAppId: r.oauth_app_id } : {}),
      detail: { connect_session_id: r.id, kind: r.credential_kind, reason },
    });
    return { type: 'redirect', url: back(r, { error, error_description: message }) };
  }

  /** Provider failure → RFC 6749 error name: transient is server_error, a refusal access_denied. */
  const failProvider = (r: SessionRow, f: ProviderFailure, step: string) =>
    TRANSIENT_REASONS.has(f.reason)
      ? fail(
          r,
          'server_error',
          f.reason,
          `The provider could not be reached or failed during ${step}; try again later.`,
        )
      : fail(r, 'access_denied', f.reason, `The provider refused ${step}: ${f.note}`);

  /** Upserts through the import's entry point (one way to write a credential), then hands out the exchange code. */
  async function store(
    r: SessionRow,
    app: OAuthAppRow | undefined,
    props: Record<string, unknown>,
    found: Extract<IdentifyResult, { ok: true }>,
  ): Promise<Outcome> {
    const req = requestOf(r);
    const properties: Record<string, unknown> = { kind: r.credential_kind };
    for (const [k, v] of Object.entries(props)) if (v !== undefined) properties[k] = v;
    let credentialId: string;
    try {
      const cred = await d.credentials.importCredential(
        r.account_id,
        {
          properties: properties as { kind: string },
          oauth_app_id: app?.id ?? null,
          ...(req.name !== undefined ? { name: req.name } : {}),
          ...(req.metadata !== undefined ? { metadata: req.metadata } : {}),
        },
        {
          proven: { ...(found.learned ? { learned: found.learned } : {}), health: d.provenHealth(found.warning) },
          ...(req.credential_id ? { sameAccountAs: req.credential_id } : {}),
          connectSessionId: r.id,
        },
      );
      credentialId = cred.id;
    } catch (err) {
      if (err instanceof AccountMismatchError)
        return fail(
          r,
          'account_mismatch',
          'account_mismatch',
          'You signed in to a different account than the one being re-authorized; nothing was changed.',
        );
      if (err instanceof ValidationError)
        return fail(
          r,
          'server_error',
          'invalid_response',
          `The provider's answer could not be stored: ${Object.keys(err.validationErrors).join(', ')}.`,
        );
      throw err;
    }
    const code = randomToken('cvx_');
    const now = d.clock.now();
    await d.repo.complete(r.id, credentialId, digest(code), new Date(now.getTime() + CODE_TTL_MS), now);
    d.log.info(
      { connect_session_id: r.id, kind: r.credential_kind, credential_id: credentialId },
      'connect flow completed',
    );
    await d.audit.record({
      accountId: r.account_id,
      actorTokenId: req.actor_token_id,
      action: 'connect.completed',
      credentialId,
      ...(r.oauth_app_id ? { oauthAppId: r.oauth_app_id } : {}),
      detail: { connect_session_id: r.id, kind: r.credential_kind },
    });
    return { type: 'redirect', url: back(r, { code }) };
  }

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

  async function formOutcome(
    r: SessionRow,
    flow: Extract<ConnectSpec, { flow: 'key' }>,
    csrf: string,
    status: number,
    extra: { values?: Record<string, string>; error?: string; fieldErrors?: Record<string, string[]> } = {},
  ): Promise<Outcome> {
    const app = await appOf(r);
    const module = d.modules[r.provider as Provider];
    return {
      type: 'page',
      status,
      // A successful post is answered with a redirect to redirect_url, which Chromium checks against form-action.
      formTarget: new URL(r.redirect_url).origin,
      html: keyFormPage({
        action: `/link/oauth2/form/${r.id}`,
        csrf,
        appName: app?.name ?? 'An application',
        provider: module.displayName,
        fields: flow.fields,
        values: extra.values ?? {},
        ...(extra.error ? { error: extra.error } : {}),
        ...(extra.fieldErrors ? { fieldErrors: extra.fieldErrors } : {}),
      }),
    };
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

    async submitForm(
      id: string,
      fields: Record<string, string>,
      cookieHeader: (name: string) => string | undefined,
    ): Promise<Outcome> {
      const r = isUuid(id) ? await d.repo.byId(id) : undefined;
      const now = d.clock.now();
      const bad: Outcome = { type: 'page', status: 400, html: BAD_CALLBACK };
      if (!r || r.status !== 'authorizing' || new Date(r.expires_at) <= now) return bad;
      const flow: ConnectSpec = kindSpec(r.credential_kind as Kind).connect;
      if (
        flow.flow !== 'key' ||
        !matchesDigest(cookieHeader(flowCookieName(r.id)), r.cookie_digest) ||
        !matchesDigest(fields.csrf, r.csrf_digest)
      )
        return bad;
      if (!(await d.repo.claim(r.id, now))) return bad;
      const values: Record<string, string> = {};
      const props: Record<string, unknown> = {};
      for (const f of flow.fields) {
        const v = (fields[f.name] ?? '').trim();
        if (v !== '') props[f.name] = v;
        if (!f.secret) values[f.name] = v;
      }
      const again = async (status: number, extra: { error?: string; fieldErrors?: Record<string, string[]> }) => {
        const csrf = randomToken();
        await d.repo.reopen(r.id, digest(csrf), d.clock.now());
        return formOutcome(r, flow, csrf, status, { values, ...extra });
      };
      const spec = d.spec(r.credential_kind);
      const parsed = spec?.schema.safeParse(props);
      if (!spec || !parsed?.success) {
        const fieldErrors: Record<string, string[]> = {};
        for (const issue of parsed?.error?.issues ?? [])
          (fieldErrors[String(issue.path[0] ?? 'form')] ??= []).push(issue.message);
        return again(422, { error: 'Some fields are not valid; correct them and submit again.', fieldErrors });
      }
      const app = await appOf(r);
      const module = d.modules[r.provider as Provider];
      const found = await module.identify(
        { kind: r.credential_kind as Kind, properties: parsed.data as Record<string, unknown> },
        d.context(module, app ? appSecrets(app) : undefined),
      );
      if (!found.ok) {
        d.log.info({ connect_session_id: r.id, kind: r.credential_kind, reason: found.reason }, 'connect key refused');
        return again(422, {
          error: TRANSIENT_REASONS.has(found.reason)
            ? `${module.displayName} could not be reached to check these credentials; try again in a moment.`
            : `${module.displayName} refused these credentials: ${found.note}`,
        });
      }
      return store(r, app, props, found);
    },
  };
}

export type ConnectFlow = ReturnType<typeof createConnectFlow>;
