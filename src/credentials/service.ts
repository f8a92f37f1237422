import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/service.js';
import { CREDENTIAL_MASK, type SecretBox, credentialSecretPlace } from '../crypto/secret-box.js';
import { readHealth } from '../health/model.js';
import { type Clock, isoSeconds } from '../lib/clock.js';
import { AppError, NotFoundError, ValidationError, type ValidationErrors } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { OAuthAppRow, OAuthAppService } from '../oauth-apps/service.js';
import type { IdentityContext, KindSpec } from '../providers/types.js';
import { presentCredential } from './present.js';
import { createBulkOperations } from './bulk.js';
import type { CredentialRepository, CredentialRow, NewCredential } from './repository.js';
import type { CredentialView, ImportCredentialInput, ListCredentialsInput, PatchCredentialInput } from './schemas.js';
import { parseProperties } from './validate.js';

export interface CredentialServiceDeps {
  repo: CredentialRepository;
  oauthApps: OAuthAppService;
  box: SecretBox;
  clock: Clock;
  fingerprint(secret: string): string;
  /** Kind lookup by canonical name or alias. */
  resolveKind(kind: string): KindSpec | undefined;
  /** SSRF vetting of tenant hosts (DNS included); answers validation errors by field path. */
  vetProperties?: (kind: string, props: Record<string, unknown>) => Promise<ValidationErrors>;
  /**
   * Asks the provider who a fingerprint-identified credential belongs to (kinds.md), so the
   * upsert keys on the provider's own account id. Single imports only: bulk imports leave it
   * to the first scheduled check.
   */
  identifyAtImport?: (spec: KindSpec, props: Record<string, unknown>, app: OAuthAppRow | null) => Promise<{ learned?: Record<string, unknown>; health: object }>;
  /** Called after each import (e.g. to schedule a health check); must not throw. */
  afterImport?: (row: CredentialRow) => void;
  /**
   * Runs `fn` in one transaction with a repository and an audit log bound to it, so a delete
   * and its audit event commit together or not at all.
   */
  transaction<T>(fn: (tx: { repo: CredentialRepository; audit: Pick<AuditService, 'record'> }) => Promise<T>): Promise<T>;
}

class MaskedIdentity extends Error {}

/** What the provider said about a credential just proven (a Connect flow): used instead of identifyAtImport. */
export interface ProvenIdentity {
  learned?: Record<string, unknown>;
  health: object;
}

export interface ImportOptions {
  proven?: ProvenIdentity;
  /** Re-authorization: the import must land on this credential's provider account, else AccountMismatchError and nothing is written. */
  sameAccountAs?: string;
}

export class AccountMismatchError extends AppError {
  constructor() {
    super(409, 'The authorization is for a different provider account than the credential being re-authorized; nothing was changed.');
  }
}

/** Looks an OAuth app up by id in the caller's account (bulk import passes one backed by a preloaded map). */
export type FindOAuthApp = (id: string) => Promise<OAuthAppRow | undefined>;

/** An import validated, identified and sealed, ready for the upsert. */
export interface PreparedImport {
  values: NewCredential;
  given: { name: boolean; metadata: boolean };
  app: OAuthAppRow | null;
}


export function createCredentialService(deps: CredentialServiceDeps) {
  const { repo, oauthApps, box, clock } = deps;

  const findAppIn = (accountId: string): FindOAuthApp => async (id) => {
    try {
      return await oauthApps.getRow(accountId, id);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      return undefined;
    }
  };

  async function checkOAuthApp(
    findApp: FindOAuthApp,
    id: string | null | undefined,
    spec: KindSpec | undefined,
    errors: ValidationErrors,
  ): Promise<OAuthAppRow | null> {
    if (id === undefined || id === null) {
      if (spec?.oauthApp === 'required') errors.oauth_app_id = [`is required for kind ${spec.kind}`];
      return null;
    }
    const app = await findApp(id);
    if (!app) {
      errors.oauth_app_id = ['does not name an OAuth app of this account'];
      return null;
    }
    if (spec && app.provider !== spec.provider) {
      errors.oauth_app_id = [`names an OAuth app for ${app.provider}, but kind ${spec.kind} needs one for ${spec.provider}`];
      return null;
    }
    return app;
  }

  /** Everything an import does but the write (shared by importCredential and bulk import). */
  async function prepareImport(
    accountId: string,
    input: ImportCredentialInput,
    findApp = findAppIn(accountId),
    opts: { identify?: boolean; proven?: ProvenIdentity } = {},
  ): Promise<PreparedImport> {
      const errors: ValidationErrors = {};
      const parsed = parseProperties({ ...input.properties }, deps.resolveKind, errors);
      const app = await checkOAuthApp(findApp, input.oauth_app_id, parsed?.spec, errors);
      if (!parsed || Object.keys(errors).length > 0) throw new ValidationError(errors);
      const { spec, masked } = parsed;
      let props = parsed.props;
      if (deps.vetProperties) {
        const refused = await deps.vetProperties(spec.kind, props);
        if (Object.keys(refused).length > 0) throw new ValidationError(refused, 'credvault refuses to connect to that host; use the provider\'s public host name.');
      }

      const ctx: IdentityContext = {
        fingerprint: (s) => {
          if (typeof s !== 'string') throw new MaskedIdentity();
          return deps.fingerprint(s);
        },
      };
      let identity: string;
      try {
        identity = spec.identity(props as never, ctx).value;
      } catch (err) {
        if (!(err instanceof MaskedIdentity)) throw err;
        throw new ValidationError(
          Object.fromEntries(masked.map((f) => [`properties.${f}`, ['is masked, and this credential is identified by it: send the real value']])),
          'A masked secret cannot identify a credential; send the real value.',
        );
      }

      const placeOf = (field: string) => credentialSecretPlace(accountId, spec.provider, identity, field);
      // No new secret (every secret field sent masked, or the kind has none): the same credential
      // as stored, so its health stands (a Connect exchange's `credential` imported as is stays ok; docs: Connect).
      const secretFields: readonly string[] = spec.secretFields;
      const noNewSecret = Object.entries(parsed.props).every(([k, v]) => v === undefined || !secretFields.includes(k) || masked.includes(k));
      const existing = masked.length > 0 || noNewSecret ? await repo.findSecretsByIdentity(accountId, spec.provider, identity) : undefined;
      const keptHealth: object | undefined = noNewSecret ? existing?.health : undefined;
      if (masked.length > 0) {
        // The mask means "keep the stored value" (api.md §3.8): fetch it from the same provider account.
        const missing = masked.filter((f) => existing?.secrets[f] === undefined);
        if (missing.length > 0 || !existing) {
          throw new ValidationError(
            Object.fromEntries(missing.map((f) => [`properties.${f}`, ['is masked but no stored value exists for this provider account: send the real value']])),
            'A masked secret can only keep a value already stored for this provider account; send the real value.',
          );
        }
        props = { ...props };
        for (const f of masked) props[f] = box.open(existing.secrets[f] ?? '', placeOf(f));
      }
      if (spec.finalize) {
        const fin = spec.finalize(props as never, { now: clock.now() });
        if (!fin.ok) {
          throw new ValidationError(Object.fromEntries(Object.entries(fin.issues).map(([k, v]) => [`properties.${k}`, v])));
        }
        props = fin.props as Record<string, unknown>;
      }

      let health: object | undefined;
      const identifyNow = opts.identify && spec.identity(props as never, ctx).secretField !== undefined ? deps.identifyAtImport : undefined;
      // A Connect flow has just asked the provider (docs: Connect): its answer stands in for identifyAtImport's.
      const found = opts.proven ?? (identifyNow ? await identifyNow(spec, props, app) : undefined);
      if (found) {
        health = found.health;
        for (const [k, v] of Object.entries(found.learned ?? {})) {
          if (k in spec.schema.shape && !(spec.secretFields as readonly string[]).includes(k)) props = { ...props, [k]: v };
        }
        identity = spec.identity(props as never, ctx).value;
      }

      const plain: Record<string, unknown> = {};
      const secrets: Record<string, string> = {};
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined) continue;
        if (secretFields.includes(k)) {
          if (v === CREDENTIAL_MASK) throw new AppError(500, 'A mask reached storage.');
          secrets[k] = box.seal(String(v), placeOf(k));
        } else plain[k] = v;
      }
      const now = clock.now();
      const propName = typeof props.name === 'string' ? props.name : null;
      return {
        values: {
          id: randomUUID(),
          account_id: accountId,
          provider: spec.provider,
          kind: spec.kind,
          identity,
          name: input.name ?? propName,
          oauth_app_id: app?.id ?? null,
          properties: plain,
          secrets,
          metadata: input.metadata ?? {},
          health: health ? { ...health } : keptHealth ? { ...keptHealth } : { status: 'pending', notes: [], time: isoSeconds(now) },
          now,
        },
        given: { name: input.name !== undefined, metadata: input.metadata !== undefined },
        app,
      };
  }

  return {
    async importCredential(accountId: string, input: ImportCredentialInput, opts: ImportOptions = {}): Promise<CredentialView> {
      const prepared = await prepareImport(accountId, input, findAppIn(accountId), { identify: true, ...(opts.proven ? { proven: opts.proven } : {}) });
      if (opts.sameAccountAs !== undefined) {
        const holder = await repo.findSecretsByIdentity(accountId, prepared.values.provider, prepared.values.identity);
        if (holder?.id !== opts.sameAccountAs) throw new AccountMismatchError();
      }
      const row = await repo.upsert(prepared.values, prepared.given);
      deps.afterImport?.(row);
      return presentCredential(row, prepared.app);
    },

    ...createBulkOperations({ repo, box, secretPlace: credentialSecretPlace, prepareImport, ...(deps.afterImport ? { afterImport: deps.afterImport } : {}) }),

    async get(accountId: string, id: string): Promise<CredentialView & { version: number }> {
      if (!isUuid(id)) throw new NotFoundError('credential');
      const row = await repo.get(accountId, id);
      if (!row) throw new NotFoundError('credential');
      return { ...presentCredential(row, row.app), version: row.version };
    },

    async list(accountId: string, q: ListCredentialsInput) {
      const errors: ValidationErrors = {};
      let metadata: Record<string, unknown> | undefined;
      if (q.metadata !== undefined) {
        try {
          const v: unknown = JSON.parse(q.metadata);
          if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
          metadata = v as Record<string, unknown>;
        } catch {
          errors.metadata = ['must be a JSON object, e.g. {"custom_property":42}'];
        }
      }
      const kind = q.kind ? deps.resolveKind(q.kind)?.kind : undefined;
      if (q.kind && !kind) errors.kind = ['is not a known kind'];
      if (q.oauth_app_id !== undefined && !isUuid(q.oauth_app_id)) errors.oauth_app_id = ['must be a UUID'];
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const page = await repo.list(
        accountId,
        {
          ...(q.provider ? { provider: q.provider } : {}),
          ...(kind ? { kind } : {}),
          ...(q.oauth_app_id ? { oauthAppId: q.oauth_app_id } : {}),
          ...(q['health.status'] ? { healthStatus: q['health.status'] } : {}),
          ...(metadata ? { metadata } : {}),
        },
        q.limit,
        q.cursor,
      );
      return { data: page.rows.map((r) => presentCredential(r, r.app)), next_cursor: page.next_cursor };
    },

    /** Health counts per provider and the most recently broken credentials (console overview). */
    async summary(accountId: string) {
      const { counts, recent } = await repo.summarize(accountId, 10);
      const byProvider = new Map<string, { provider: string; pending: number; ok: number; warn: number; error: number; total: number }>();
      for (const c of counts) {
        const entry = byProvider.get(c.provider) ?? { provider: c.provider, pending: 0, ok: 0, warn: 0, error: 0, total: 0 };
        const status = readHealth({ status: c.health_status }, clock.now()).status;
        entry[status] += c.count;
        entry.total += c.count;
        byProvider.set(c.provider, entry);
      }
      const providers = [...byProvider.values()];
      const total = { pending: 0, ok: 0, warn: 0, error: 0, total: 0 };
      for (const p of providers) for (const k of ['pending', 'ok', 'warn', 'error', 'total'] as const) total[k] += p[k];
      return {
        total,
        providers,
        recently_broken: recent.map((r) => {
          const health = readHealth(r.health, r.created_at);
          return { id: r.id, name: r.name, provider: r.provider, kind: r.kind, status: health.status, notes: health.notes, since: health.time };
        }),
      };
    },

    async update(accountId: string, id: string, input: PatchCredentialInput, ifVersion?: number) {
      if (!isUuid(id)) throw new NotFoundError('credential');
      const row = await repo.patch(accountId, id, input, clock.now(), ifVersion);
      if (!row) {
        if (ifVersion !== undefined && (await repo.exists(accountId, id))) {
          throw new AppError(412, 'The credential changed since you read it (If-Match is stale); read it again.');
        }
        throw new NotFoundError('credential');
      }
      const full = await repo.get(accountId, id);
      if (!full) throw new NotFoundError('credential');
      return { ...presentCredential(full, full.app), version: full.version };
    },

    async remove(accountId: string, id: string, actorTokenId: string | null = null): Promise<{ id: string; deleted: true }> {
      if (!isUuid(id)) throw new NotFoundError('credential');
      await deps.transaction(async (tx) => {
        const gone = await tx.repo.remove(accountId, id);
        if (!gone) throw new NotFoundError('credential');
        await tx.audit.record({ accountId, actorTokenId, action: 'credential.deleted', credentialId: id, detail: { provider: gone.provider, kind: gone.kind } });
      });
      return { id, deleted: true };
    },
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
