/**
 * Connect, the API side (docs: Connect, §1): start-auth, the flow records and Sequin's code
 * exchange. The browser side is flow.ts.
 */
import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/service.js';
import type { CredentialService } from '../credentials/service.js';
import { type Clock, isoSeconds } from '../lib/clock.js';
import { AppError, NotFoundError, UnauthorizedError, ValidationError, type ValidationErrors } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { OAuthAppRow, OAuthAppService } from '../oauth-apps/service.js';
import type { ConnectSpec } from '../providers/connect.js';
import type { KindSpec } from '../providers/types.js';
import type { ConnectRepository, SessionRow } from './repository.js';
import type { ConnectSessionView, StartAuthInput } from './schemas.js';
import { digest, randomToken, sameSecret } from './tokens.js';

export interface ConnectServiceDeps {
  repo: ConnectRepository;
  oauthApps: OAuthAppService;
  credentials: Pick<CredentialService, 'get'>;
  audit: AuditService;
  clock: Clock;
  resolveKind(kind: string): KindSpec | undefined;
  publicUrl: string;
  /** CREDVAULT_CONNECT_REDIRECT_URLS: redirect_url values for flows without an OAuth app. */
  redirectUrls: readonly string[];
}

const STATE_MAX_BYTES = 5 * 1024;

export function presentSession(r: SessionRow, now: Date): ConnectSessionView {
  const live = r.status === 'pending' || r.status === 'authorizing' || r.status === 'exchanging';
  const expired = r.status === 'expired' || (live && new Date(r.expires_at) <= now);
  const status = expired
    ? 'expired'
    : r.status === 'exchanging'
      ? 'authorizing'
      : (r.status as ConnectSessionView['status']);
  const err = r.error as { reason?: unknown; message?: unknown } | null;
  return {
    id: r.id,
    status,
    credential_kind: r.credential_kind,
    provider: r.provider,
    oauth_app_id: r.oauth_app_id,
    credential_id: r.credential_id,
    error:
      err && typeof err.reason === 'string' && typeof err.message === 'string'
        ? { reason: err.reason, message: err.message }
        : null,
    expires_at: isoSeconds(new Date(r.expires_at)),
    created_at: isoSeconds(new Date(r.created_at)),
    updated_at: isoSeconds(new Date(r.updated_at)),
  };
}

export function createConnectService(d: ConnectServiceDeps) {
  async function appFor(
    accountId: string,
    id: string | undefined,
    spec: KindSpec,
    flow: ConnectSpec,
    errors: ValidationErrors,
  ): Promise<OAuthAppRow | null> {
    if (id === undefined) {
      if (spec.oauthApp === 'required' || flow.flow !== 'key')
        errors.oauth_app_id = [`is required for kind ${spec.kind}`];
      return null;
    }
    const app = await d.oauthApps.getRow(accountId, id).catch(() => undefined);
    if (!app) {
      errors.oauth_app_id = ['does not name an OAuth app of this account'];
      return null;
    }
    if (app.provider !== spec.provider) {
      errors.oauth_app_id = [
        `names an OAuth app for ${app.provider}, but kind ${spec.kind} needs one for ${spec.provider}`,
      ];
      return null;
    }
    if (flow.flow === 'github_app' && (typeof app.settings.slug !== 'string' || app.settings.slug === '')) {
      errors.oauth_app_id = [
        "names a GitHub App whose settings lack slug (the App's URL name, github.com/apps/<slug>)",
      ];
    }
    return app;
  }

  return {
    async startAuth(accountId: string, actorTokenId: string | null, input: StartAuthInput) {
      const errors: ValidationErrors = {};
      const spec = d.resolveKind(input.credential_kind);
      if (!spec) throw new ValidationError({ credential_kind: ['is not a known kind'] });
      const flow: ConnectSpec = spec.connect;
      const app = await appFor(accountId, input.oauth_app_id, spec, flow, errors);
      const allowed: readonly string[] = app
        ? Array.isArray(app.redirect_urls)
          ? app.redirect_urls
          : []
        : d.redirectUrls;
      if (!allowed.includes(input.redirect_url)) {
        errors.redirect_url = [
          app
            ? "is not one of the OAuth app's redirect_urls (exact match)"
            : 'is not one of CREDVAULT_CONNECT_REDIRECT_URLS (exact match)',
        ];
      }
      if (input.state !== undefined && Buffer.byteLength(JSON.stringify(input.state) ?? '') > STATE_MAX_BYTES)
        errors.state = ['must be at most 5 KiB once serialized'];
      const props: Record<string, string> = {};
      const requires = flow.flow === 'oauth' ? flow.requires : [];
      for (const [k, v] of Object.entries(input.properties ?? {})) {
        if (!requires.includes(k)) {
          errors[`properties.${k}`] = [
            requires.length === 0
              ? `is not used before consent for kind ${spec.kind}`
              : `is not used before consent; kind ${spec.kind} takes ${requires.join(', ')}`,
          ];
          continue;
        }
        const field = spec.schema.shape[k];
        const parsed = field?.safeParse(v);
        if (!parsed?.success) errors[`properties.${k}`] = [parsed?.error.issues[0]?.message ?? 'is invalid'];
        else props[k] = String(parsed.data);
      }
      for (const k of requires)
        if (input.properties?.[k] === undefined)
          errors[`properties.${k}`] = [`is required to start a ${spec.kind} flow`];
      if (input.credential_id !== undefined) {
        const current = isUuid(input.credential_id)
          ? await d.credentials.get(accountId, input.credential_id).catch(() => undefined)
          : undefined;
        if (!current) errors.credential_id = ['does not name a credential of this account'];
        else if (current.kind !== spec.kind)
          errors.credential_id = [`names a ${current.kind} credential, not a ${spec.kind} one`];
      }
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);

      const now = d.clock.now();
      const token = randomToken('cvl_');
      const expiresAt = new Date(now.getTime() + input.expires_in * 1000);
      await d.repo.insert({
        id: randomUUID(),
        account_id: accountId,
        status: 'pending',
        credential_kind: spec.kind,
        provider: spec.provider,
        oauth_app_id: app?.id ?? null,
        redirect_url: input.redirect_url,
        request: {
          state: input.state ?? null,
          name: input.name,
          metadata: input.metadata,
          scopes: input.scopes ?? [],
          properties: props,
          credential_id: input.credential_id,
          expires_in: input.expires_in,
          actor_token_id: actorTokenId,
        },
        link_digest: digest(token),
        expires_at: expiresAt,
        link_used_at: null,
        state_digest: null,
        cookie_digest: null,
        csrf_digest: null,
        verifier: null,
        code_digest: null,
        code_expires_at: null,
        code_used_at: null,
        credential_id: null,
        error: null,
        created_at: now,
        updated_at: now,
      });
      return { start_url: `${d.publicUrl}/link/oauth2/start/${token}`, expires_at: isoSeconds(expiresAt) };
    },

    async list(accountId: string, q: { status?: string | undefined; limit: number; cursor?: string | undefined }) {
      const now = d.clock.now();
      const page = await d.repo.list(accountId, q.status, q.limit, q.cursor, now);
      return { data: page.rows.map((r) => presentSession(r, now)), next_cursor: page.next_cursor };
    },

    async get(accountId: string, id: string) {
      const row = isUuid(id) ? await d.repo.get(accountId, id) : undefined;
      if (!row) throw new NotFoundError('connect session');
      return presentSession(row, d.clock.now());
    },

    /**
     * Sequin's exchange: the app's credvault id and provider secret (or, without an app, an API
     * token of the flow's account with credentials:read) buy the credential, once.
     */
    async exchange(
      body: { code: string; client_id?: string | undefined; client_secret?: string | undefined },
      bearerAccount: () => Promise<string | undefined>,
    ) {
      const now = d.clock.now();
      const row = await d.repo.byCode(digest(body.code));
      if (
        !row ||
        row.code_used_at !== null ||
        row.code_expires_at === null ||
        new Date(row.code_expires_at) <= now ||
        row.credential_id === null
      ) {
        throw new AppError(404, 'Unknown, used or expired code; start a new Connect flow.');
      }
      if (row.oauth_app_id !== null) {
        const app =
          body.client_id === row.oauth_app_id
            ? await d.oauthApps.getRow(row.account_id, row.oauth_app_id).catch(() => undefined)
            : undefined;
        const secret = app ? d.oauthApps.reveal(app).clientSecret : undefined;
        if (secret === undefined || !sameSecret(secret, body.client_secret ?? '')) {
          throw new UnauthorizedError(
            "client_id must be the credvault id of the flow's OAuth app and client_secret its provider client secret.",
          );
        }
      } else if ((await bearerAccount()) !== row.account_id) {
        throw new UnauthorizedError(
          'This flow has no OAuth app: send an API token of its account with credentials:read as "Authorization: Bearer <token>".',
        );
      }
      if (!(await d.repo.useCode(row.id, now)))
        throw new AppError(404, 'Unknown, used or expired code; start a new Connect flow.');
      const cred = await d.credentials.get(row.account_id, row.credential_id);
      const request = row.request as { state?: unknown };
      return {
        credential: { oauth_app_id: cred.oauth_app_id, properties: cred.properties },
        credential_id: cred.id,
        state: request.state ?? null,
      };
    },
  };
}

export type ConnectService = ReturnType<typeof createConnectService>;
