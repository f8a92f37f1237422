/**
 * What every step of Connect's browser side shares (docs: Connect, §1-§3): the Outcome a route
 * renders, the flow's dependencies, and the helpers on a session row (its request and OAuth app,
 * failing it back to redirect_url, storing its credential and handing out the exchange code).
 * The steps themselves are flow.ts (link, provider callback) and key-form.ts (credvault's form).
 */
import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { AccountMismatchError, type CredentialService } from '../credentials/service.js';
import type { Clock } from '../lib/clock.js';
import { ValidationError } from '../lib/errors.js';
import type { OAuthAppRow, OAuthAppService } from '../oauth-apps/service.js';
import type {
  IdentifyResult,
  OAuthAppSecrets,
  ProviderContext,
  ProviderFailure,
  ProviderModule,
} from '../providers/module.js';
import { TRANSIENT_REASONS } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import type { Provider } from '../providers/registry.js';
import { messagePage } from './html.js';
import type { ConnectRepository, SessionRow } from './repository.js';
import { digest, randomToken } from './tokens.js';

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

/** What the API caller asked for when it started the flow (the session row's `request`). */
export interface SessionRequest {
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

/** The answer to a callback or a form post that matches no live session of this browser. */
export const BAD_CALLBACK = messagePage('This sign-in could not be completed', [
  'credvault could not match this page to a sign-in started in this browser, or it was already completed or has expired.',
  'Nothing was stored. Go back to the app that sent you here and start again.',
]);

/** The helpers every step uses on a session row. */
export function createSessionHelpers(d: FlowDeps) {
  const requestOf = (r: SessionRow) => r.request as unknown as SessionRequest;
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

  return { requestOf, appSecrets, appOf, fail, failProvider, store };
}

export type SessionHelpers = ReturnType<typeof createSessionHelpers>;
