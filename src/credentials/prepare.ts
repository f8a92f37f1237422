/**
 * Preparing an import: everything a single or bulk import does before the write, as named steps
 * (validate, vet hosts, identify, restore masked secrets, finalize, ask the provider, seal).
 * The identity is computed once, and again only when the provider taught us the account id.
 */
import { randomUUID } from 'node:crypto';
import type { AuditService } from '../audit/service.js';
import type { EventWriter } from '../events/outbox.js';
import { credentialSecretPlace } from '../crypto/places.js';
import { CREDENTIAL_MASK, type SecretBox } from '../crypto/secret-box.js';
import { type Clock, isoSeconds } from '../lib/clock.js';
import { AppError, NotFoundError, ValidationError, type ValidationErrors } from '../lib/errors.js';
import { checkTenantHost } from '../oauth-apps/hosts.js';
import type { OAuthAppRow, OAuthAppService } from '../oauth-apps/service.js';
import { mergeLearned } from '../providers/learned.js';
import type { IdentityContext, KindSpec, Provider } from '../providers/types.js';
import type { CredentialRepository, CredentialRow, NewCredential } from './repository/index.js';
import type { ImportCredentialInput } from './schemas.js';
import { parseProperties } from './validate.js';

export interface CredentialServiceDeps {
  repo: CredentialRepository;
  oauthApps: OAuthAppService;
  box: SecretBox;
  clock: Clock;
  fingerprint(secret: string): string;
  /** Kind lookup by canonical name or alias. */
  resolveKind(kind: string): KindSpec | undefined;
  /** CREDVAULT_PROVIDER_HOSTS_<P>: host suffixes allowed on top of each kind's own (KindSpec.tenantHost). */
  providerHosts?: Partial<Record<Provider, readonly string[]>>;
  /** SSRF vetting of tenant hosts (DNS included); answers validation errors by field path. */
  vetProperties?: (spec: KindSpec, props: Record<string, unknown>) => Promise<ValidationErrors>;
  /**
   * Asks the provider who a fingerprint-identified credential belongs to (docs/kinds.md), so the
   * upsert keys on the provider's own account id. Single imports only: bulk imports leave it
   * to the first scheduled check.
   */
  identifyAtImport?: (
    spec: KindSpec,
    props: Record<string, unknown>,
    app: OAuthAppRow | null,
  ) => Promise<{ learned?: Record<string, unknown>; refreshed?: Record<string, string>; health: object }>;
  /** Called after each import (e.g. to schedule a health check); must not throw. */
  afterImport?: (row: Pick<CredentialRow, 'id'>) => void;
  /** Called after a delete (e.g. to drop the proxy's cached copy); must not throw. */
  afterRemove?: (id: string) => void;
  /**
   * Runs `fn` in one transaction with a repository and an audit log bound to it, so a delete
   * and its audit event commit together or not at all.
   */
  transaction<T>(fn: (tx: CredentialTx) => Promise<T>): Promise<T>;
}

/** A transaction of the credential write paths: repository, audit log and events (the outbox) bound to it. */
export interface CredentialTx {
  repo: CredentialRepository;
  audit: Pick<AuditService, 'record'>;
  events: EventWriter;
}

/** Looks an OAuth app up by id in the caller's account (bulk import passes one backed by a preloaded map). */
export type FindOAuthApp = (id: string) => Promise<OAuthAppRow | undefined>;

/** An import validated, identified and sealed, ready for the upsert. */
export interface PreparedImport {
  values: NewCredential;
  given: { name: boolean; metadata: boolean };
  app: OAuthAppRow | null;
}

/** What the provider said about a credential just proven (a Connect flow): used instead of identifyAtImport. */
export interface ProvenIdentity {
  learned?: Record<string, unknown>;
  /** Tokens a refresh made while proving (identify at import); a Connect flow has just been issued its own. */
  refreshed?: Record<string, string>;
  health: object;
}

export type PrepareImport = (
  accountId: string,
  input: ImportCredentialInput,
  findApp: FindOAuthApp,
  opts?: { identify?: boolean; proven?: ProvenIdentity },
) => Promise<PreparedImport>;

class MaskedIdentity extends Error {}

export function createImportPreparation(deps: CredentialServiceDeps) {
  const { repo, box, clock } = deps;

  const findAppIn =
    (accountId: string): FindOAuthApp =>
    async (id) => {
      try {
        return await deps.oauthApps.getRow(accountId, id);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        return undefined;
      }
    };

  /** The OAuth app the input names: in this account, for the kind's provider, present when the kind needs one. */
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
      errors.oauth_app_id = [
        `names an OAuth app for ${app.provider}, but kind ${spec.kind} needs one for ${spec.provider}`,
      ];
      return null;
    }
    return app;
  }

  /** Step 1: the kind's schema and the OAuth app; every problem reported at once. */
  async function validate(input: ImportCredentialInput, findApp: FindOAuthApp) {
    const errors: ValidationErrors = {};
    const parsed = parseProperties({ ...input.properties }, deps.resolveKind, errors);
    const app = await checkOAuthApp(findApp, input.oauth_app_id, parsed?.spec, errors);
    if (!parsed || Object.keys(errors).length > 0) throw new ValidationError(errors);
    return { ...parsed, app };
  }

  /** Step 2: tenant hosts must not lead to local or internal addresses (docs/security.md, A5). */
  async function vetHosts(spec: KindSpec, props: Record<string, unknown>, app: OAuthAppRow | null): Promise<void> {
    // Before DNS: the tenant host must be the provider's, and covered by the app whose secret goes there.
    const hostRefused = checkTenantHost(spec, props, deps.providerHosts ?? {}, app);
    if (Object.keys(hostRefused).length > 0) {
      throw new ValidationError(
        hostRefused,
        "This credential names a host its secrets (or its OAuth app's) may not be sent to.",
      );
    }
    if (!deps.vetProperties) return;
    const refused = await deps.vetProperties(spec, props);
    if (Object.keys(refused).length > 0)
      throw new ValidationError(
        refused,
        "credvault refuses to connect to that host; use the provider's public host name.",
      );
  }

  const identityContext: IdentityContext = {
    fingerprint: (s) => {
      if (typeof s !== 'string') throw new MaskedIdentity();
      return deps.fingerprint(s);
    },
  };

  /**
   * Step 3: the provider-account identity, NFC-normalized (`café` composed or decomposed is one
   * account) and at most MAX_IDENTITY_LENGTH long; a masked secret cannot identify.
   */
  function identify(spec: KindSpec, props: Record<string, unknown>, masked: readonly string[]) {
    try {
      const found = spec.identity(props, identityContext);
      const value = found.value.normalize('NFC');
      checkIdentityLength(value, props);
      return { ...found, value };
    } catch (err) {
      if (!(err instanceof MaskedIdentity)) throw err;
      throw new ValidationError(
        Object.fromEntries(
          masked.map((f) => [
            `properties.${f}`,
            ['is masked, and this credential is identified by it: send the real value'],
          ]),
        ),
        'A masked secret cannot identify a credential; send the real value.',
      );
    }
  }

  /** Step 4: the mask means "keep the stored value" (docs/api.md): fetched from the same provider account. */
  async function restoreMasked(
    accountId: string,
    spec: KindSpec,
    identity: string,
    props: Record<string, unknown>,
    masked: readonly string[],
  ) {
    if (masked.length === 0) return props;
    const existing = await repo.findSecretsByIdentity(accountId, spec.provider, identity);
    const missing = masked.filter((f) => existing?.secrets[f] === undefined);
    if (missing.length > 0 || !existing) {
      throw new ValidationError(
        Object.fromEntries(
          missing.map((f) => [
            `properties.${f}`,
            ['is masked but no stored value exists for this provider account: send the real value'],
          ]),
        ),
        'A masked secret can only keep a value already stored for this provider account; send the real value.',
      );
    }
    const out = { ...props };
    for (const f of masked)
      out[f] = box.open(existing.secrets[f] ?? '', credentialSecretPlace(accountId, spec.provider, identity, f));
    return out;
  }

  /**
   * No new secret (every secret field sent masked, or the kind has none): the same credential as
   * stored, so its health stands (a Connect exchange's `credential` imported as is stays ok).
   */
  async function healthKept(
    accountId: string,
    spec: KindSpec,
    identity: string,
    props: Record<string, unknown>,
    masked: readonly string[],
  ): Promise<object | undefined> {
    const secretFields: readonly string[] = spec.secretFields;
    const noNewSecret = Object.entries(props).every(
      ([k, v]) => v === undefined || !secretFields.includes(k) || masked.includes(k),
    );
    if (!noNewSecret) return undefined;
    return (await repo.findSecretsByIdentity(accountId, spec.provider, identity))?.health ?? undefined;
  }

  /** Step 5: the kind's cross-field rules and derived fields. */
  function finalize(spec: KindSpec, props: Record<string, unknown>) {
    if (!spec.finalize) return props;
    const fin = spec.finalize(props, { now: clock.now() });
    if (!fin.ok)
      throw new ValidationError(Object.fromEntries(Object.entries(fin.issues).map(([k, v]) => [`properties.${k}`, v])));
    return fin.props;
  }

  /** Step 7: secrets sealed at their place, the rest kept as plain properties. */
  function seal(accountId: string, spec: KindSpec, identity: string, props: Record<string, unknown>) {
    const plain: Record<string, unknown> = {};
    const secrets: Record<string, string> = {};
    const secretFields: readonly string[] = spec.secretFields;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined) continue;
      if (secretFields.includes(k)) {
        if (v === CREDENTIAL_MASK) throw new AppError(500, 'A mask reached storage.');
        secrets[k] = box.seal(String(v), credentialSecretPlace(accountId, spec.provider, identity, k));
      } else plain[k] = v;
    }
    return { plain, secrets };
  }

  /** Everything an import does but the write (shared by single and bulk import). */
  const prepareImport: PrepareImport = async (accountId, input, findApp, opts = {}) => {
    const { spec, masked, props: parsed, app } = await validate(input, findApp);
    await vetHosts(spec, parsed, app);
    let identity = identify(spec, parsed, masked);
    const keptHealth = await healthKept(accountId, spec, identity.value, parsed, masked);
    let props = finalize(spec, await restoreMasked(accountId, spec, identity.value, parsed, masked));
    // Step 6: a fingerprint-identified credential asks the provider for its account id (single imports only);
    // a Connect flow has just asked the provider (docs/api.md, Connect): its answer stands in for identifyAtImport's.
    let health: object | undefined;
    const identifyNow = opts.identify && identity.secretField !== undefined ? deps.identifyAtImport : undefined;
    const found = opts.proven ?? (identifyNow ? await identifyNow(spec, props, app) : undefined);
    if (found) {
      health = found.health;
      // Tokens a refresh at import made (a rotated refresh token replaces the given one, which
      // may be dead now): stored with the credential in the upsert below.
      for (const [k, v] of Object.entries(found.refreshed ?? {}))
        if (k in spec.schema.shape) props = { ...props, [k]: v };
      props = mergeLearned(spec, props, found.learned);
      identity = identify(spec, props, masked);
    }
    const { plain, secrets } = seal(accountId, spec, identity.value, props);
    const now = clock.now();
    const propName = typeof props.name === 'string' ? props.name : null;
    return {
      values: {
        id: randomUUID(),
        account_id: accountId,
        provider: spec.provider,
        kind: spec.kind,
        identity: identity.value,
        name: input.name ?? propName,
        oauth_app_id: app?.id ?? null,
        properties: plain,
        secrets,
        metadata: input.metadata ?? {},
        health: health
          ? { ...health }
          : keptHealth
            ? { ...keptHealth }
            : { status: 'pending', notes: [], time: isoSeconds(now) },
        now,
      },
      given: { name: input.name !== undefined, metadata: input.metadata !== undefined },
      app,
    };
  };

  return { prepareImport, findAppIn };
}

/** Longest provider-account identity stored (it is a unique index key: longer ones failed as 500). */
export const MAX_IDENTITY_LENGTH = 1024;

/** 422 on the field that made the identity too long (the longest property it contains). */
function checkIdentityLength(identity: string, props: Record<string, unknown>): void {
  if (identity.length <= MAX_IDENTITY_LENGTH) return;
  const culprit = Object.entries(props)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0 && identity.includes(e[1]))
    .sort((a, b) => b[1].length - a[1].length)[0]?.[0];
  throw new ValidationError({
    [culprit === undefined ? 'properties' : `properties.${culprit}`]: [
      `is too long to identify a provider account: at most ${MAX_IDENTITY_LENGTH} characters`,
    ],
  });
}
