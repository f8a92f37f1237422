import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { createRecentOpened } from '../crypto/recent-opened.js';
import type { Clock } from '../lib/clock.js';
import { createOutboundHttp } from '../net/outbound.js';
import type { OutboundHttp } from '../net/types.js';
import { createAppHostLedger } from '../oauth-apps/host-ledger.js';
import { tenantHostOf } from '../oauth-apps/hosts.js';
import type { OAuthAppService } from '../oauth-apps/service.js';
import { PROVIDER_MODULES } from '../providers/api/index.js';
import type { ProviderModule } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import type { Kind, Provider } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { createContextFactory } from './context.js';
import { type RunnerDeps, createRunner } from './runner.js';
import { createScheduler } from './scheduler.js';
import { credentialSecrets } from './secrets.js';
import { createHealthService } from './service.js';
import { createHealthStore } from './store.js';
import { type CredentialRepository, batchFinalWrites } from '../credentials/repository/index.js';
import type { OAuthAppRepository } from '../oauth-apps/repository.js';
import { createImportIdentifier } from './import-identify.js';
import { createAppHealthNotes } from './app-health.js';
import { createRenewer } from '../tokens/renew.js';
import { createTokenService } from '../tokens/service.js';
import { nextRoutineCheck, okHealth } from './model.js';
import type { HealthReason } from '../providers/module.js';
import type { OAuthAppRow } from '../oauth-apps/service.js';

/** How many opened tokens are kept at most (crypto/recent-opened.ts; docs/performance.md). */
const RECENT_OPENED_MAX = 10_000;

export interface HealthDeps {
  db: Db;
  /** The owners of the tables health work reads and writes (docs/architecture.md "Storage"). */
  repos: { credentials: CredentialRepository; oauthApps: Pick<OAuthAppRepository, 'setHealth'> };
  box: SecretBox;
  clock: Clock;
  log: Logger;
  config: Config;
  audit: AuditService;
  oauthApps: OAuthAppService;
  spec(kind: string): KindSpec | undefined;
  fingerprint(secret: string): string;
  /** Defaults: the real provider modules and the SSRF-safe client. Tests may pass others. */
  modules?: Record<Provider, ProviderModule>;
  http?: OutboundHttp;
  nodeId?: string;
  failpoint?: (name: string) => void;
}

/** Wires checks, refresh and the scheduler: one place, dependencies passed in. */
export function createHealth(d: HealthDeps) {
  const nodeId = d.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // A lease outlives one refresh plus one identify call, each bounded by the provider timeout.
  const leaseMs = d.config.providerTimeoutMs * 3 + 5000;
  const now = () => d.clock.now();
  const store = createHealthStore(d.repos.credentials, d.repos.oauthApps, now);
  const appSecrets = (row: OAuthAppRow) => {
    const revealed = d.oauthApps.reveal(row);
    return {
      clientId: row.client_id,
      clientSecret: revealed.clientSecret,
      settings: { ...row.settings, ...revealed.settings },
      app: { id: row.id, accountId: row.account_id, name: row.name },
    };
  };
  // Tokens opened in the last few seconds are answered without decrypting again (crypto/recent-opened.ts).
  const secrets = credentialSecrets(d.box, createRecentOpened(d.config.tokenCacheMs, RECENT_OPENED_MAX));
  const appHostLedger = createAppHostLedger({ db: d.db, audit: d.audit, clock: d.clock });
  const onAppSecretSent = (app: { id: string; accountId: string }, host: string) =>
    appHostLedger(app.accountId, app.id, host);
  const modules = d.modules ?? PROVIDER_MODULES;
  // Check GETs reuse keep-alive sockets (per origin and pinned address; up to 64 each, so a
  // manual check never queues behind the scheduler's for a socket); token POSTs keep one socket
  // each (src/net/outbound.ts; docs/performance.md, "Scheduler pipeline").
  const ownHttp = createOutboundHttp({
    timeoutMs: d.config.providerTimeoutMs,
    allowedOrigins: Object.values(d.config.providerUrls),
    keepAliveGets: { maxSockets: Math.max(64, d.config.providerConcurrency), idleMs: 4000 },
  });
  const http = d.http ?? ownHttp;
  const policy = {
    intervalSeconds: d.config.checkIntervalSeconds,
    refreshMarginSeconds: d.config.refreshMarginSeconds,
    random: () => randomInt(0, 1_000_000) / 1_000_000,
  };
  const context = createContextFactory({
    http,
    providerUrls: d.config.providerUrls,
    providerHosts: d.config.providerHosts,
    now: () => d.clock.now(),
    onAppSecretSent,
  });
  const noteApp = createAppHealthNotes({ store, clock: d.clock, log: d.log });
  // The one way a token is renewed (src/tokens/): checks, access-token and the proxy share it.
  const renew = createRenewer({
    store,
    secrets,
    clock: d.clock,
    log: d.log,
    context,
    nodeId,
    noteApp,
    ...(d.failpoint ? { failpoint: d.failpoint } : {}),
  });
  const oauthAppSecrets = async (accountId: string, appId: string) => {
    const row = await d.oauthApps.getRow(accountId, appId).catch(() => undefined);
    return row ? appSecrets(row) : undefined;
  };
  const runnerDeps: RunnerDeps = {
    store,
    secrets,
    clock: d.clock,
    log: d.log,
    modules,
    spec: d.spec,
    context,
    renew,
    noteApp,
    policy,
    fingerprint: d.fingerprint,
    nodeId,
    oauthAppSecrets,
  };
  const runner = createRunner(runnerDeps);
  const scheduler = createScheduler({
    store,
    extend: (id) => d.repos.credentials.renew(id, nodeId, leaseMs),
    // The scheduler's checks end with group-committed writes: a backlog costs few statements.
    runner: createRunner({ ...runnerDeps, finalWrite: batchFinalWrites(d.repos.credentials, nodeId, now, 20) }),
    log: d.log,
    nodeId,
    leaseMs,
    perProvider: d.config.providerConcurrency,
    ...(d.config.accountInFlight !== undefined ? { perAccount: d.config.accountInFlight } : {}),
    // Per-host backoff keys on the tenant host where the kind has one (one Auth0 domain hanging
    // must not hold back the others), else on the provider.
    hostOf: (row) => {
      const spec = d.spec(row.kind);
      return (spec && tenantHostOf(spec, row.properties)?.host) ?? row.provider;
    },
  });
  const service = createHealthService({
    store,
    runner,
    audit: d.audit,
    clock: d.clock,
    nodeId,
    leaseMs,
    wake: () => scheduler.wake(),
  });
  const tokens = createTokenService({
    store,
    secrets,
    renew,
    audit: d.audit,
    clock: d.clock,
    modules,
    spec: d.spec,
    oauthAppSecrets,
    policy,
    nodeId,
    leaseMs,
  });
  const identifier = createImportIdentifier({
    modules,
    http,
    clock: d.clock,
    policy,
    timeoutMs: d.config.importIdentifyTimeoutMs,
    context: (h) =>
      createContextFactory({
        http: h,
        providerUrls: d.config.providerUrls,
        providerHosts: d.config.providerHosts,
        now: () => d.clock.now(),
        onAppSecretSent,
      }),
    displayName: (p) => modules[p].displayName,
  });
  const identifyAtImport = d.config.importIdentify
    ? (spec: KindSpec, props: Record<string, unknown>, app: OAuthAppRow | null) =>
        identifier(spec, props, app ? appSecrets(app) : undefined)
    : undefined;
  /** Health of a credential its provider has just accepted (a Connect flow), next check scheduled as after a check. */
  const provenHealth = (warning?: { reason: HealthReason; note: string }) => {
    const now = d.clock.now();
    return okHealth(now, nextRoutineCheck(now, policy, null), warning);
  };
  /** A credential with its secrets opened and its OAuth app's, for a provider call outside checks (revoke on delete). */
  const plainCredential = async (accountId: string, id: string) => {
    const row = await store.get(id);
    if (!row || row.account_id !== accountId) return undefined;
    const app = row.oauth_app_id ? await oauthAppSecrets(accountId, row.oauth_app_id) : undefined;
    return {
      kind: row.kind as Kind,
      provider: row.provider as Provider,
      properties: { ...row.properties, ...secrets.openAll(row) },
      ...(app ? { app } : {}),
    };
  };
  return {
    service,
    tokens,
    secrets,
    scheduler,
    runner,
    nodeId,
    identifyAtImport,
    modules,
    context,
    provenHealth,
    plainCredential,
    /** Closes the provider client's pooled sockets (after the scheduler stopped). */
    close: () => ownHttp.close(),
  };
}

export type HealthModule = ReturnType<typeof createHealth>;
