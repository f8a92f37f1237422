import pino, { type Logger } from 'pino';
import { createAccountService } from './accounts/service.js';
import { createAuditService } from './audit/service.js';
import type { Config } from './config.js';
import { createConnectRuntime } from './connect/runtime.js';
import { createCredentialRepository } from './credentials/repository/index.js';
import { createCredentialRuntime } from './credentials/runtime.js';
import type { EncryptionLedger } from './crypto/ledger.js';
import { idempotencyResponsePlace } from './crypto/places.js';
import { type KeyPrimary, keyStatus } from './crypto/primary.js';
import { openRuntimeKeys, resolveRuntimeKeys } from './crypto/runtime.js';
import { writeEvents } from './events/outbox.js';
import { type EventService, createEventService } from './events/service.js';
import { type HealthModule, createHealth } from './health/index.js';
import { type App, buildApp } from './http/app.js';
import { loggerOptions } from './http/logger.js';
import { type ShutdownGate, createShutdownGate } from './http/shutdown.js';
import { type IdempotencyService, createIdempotencyService } from './idempotency/service.js';
import { type Clock, systemClock } from './lib/clock.js';
import { type Lookup, cachedLookup, systemLookup } from './net/tenant.js';
import type { OutboundHttp } from './net/types.js';
import { createOAuthAppRepository } from './oauth-apps/repository.js';
import { createOAuthAppService } from './oauth-apps/service.js';
import { PROVIDER_MODULES } from './providers/api/index.js';
import type { ProviderModule } from './providers/module.js';
import { createKindSpecs, resolveKind } from './providers/registry.js';
import type { KindSpec, Provider } from './providers/types.js';
import { createMaterialCache } from './proxy/cache.js';
import { createProxyRuntime } from './proxy/runtime.js';
import type { UsageCounter } from './proxy/usage.js';
import { type Db, type StoreHandle, pingStore } from './store/db.js';
import { openRuntimeStore } from './store/runtime.js';
import { createWebhookRuntime } from './webhooks/runtime.js';
import type { DeliveryWorker } from './webhooks/worker.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface Runtime {
  app: App;
  store: StoreHandle;
  log: Logger;
  health: HealthModule;
  events: EventService;
  /** The webhook delivery worker of this node. */
  deliveries: DeliveryWorker;
  /** Proxied calls not yet added to the audit log (flushed every CREDVAULT_PROXY_USE_FLUSH_SECONDS and at close). */
  usage: UsageCounter;
  /** Encryptions per master key, recorded in the database (docs/security.md C5). */
  ledger: EncryptionLedger;
  /** The database's primary master key as this node sees it, and its heartbeat (crypto/primary.ts). */
  keyPrimary: KeyPrimary;
  /** Starts background work on this node: health checks and the hourly purge of expired idempotency keys. */
  startBackground(): void;
  /** Set when this start created the first account with a generated token (print it once). */
  bootstrapToken?: string;
  close(): Promise<void>;
  /**
   * SIGTERM (issue 13 R6): /readyz and new requests answer 503 at once, the listener stops
   * accepting, running requests and checks get `graceMs` to finish and are then abandoned
   * (their leases expire and another node takes over), then everything closes.
   */
  shutdown(graceMs: number): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  log?: Logger;
  /** Reuse an open store (tests share one PGlite per file). */
  store?: StoreHandle;
  /** Replace provider modules or the outbound client (tests). */
  modules?: Record<Provider, ProviderModule>;
  http?: OutboundHttp;
  nodeId?: string;
  failpoint?: (name: string) => void;
  /** DNS used to vet tenant hosts at import (tests inject answers). */
  lookup?: Lookup;
  /** Replace the webhook delivery client (tests). */
  webhookHttp?: OutboundHttp;
}

/**
 * The composition root: config → store → keys → services → HTTP. The only place that wires domains
 * together: each builds its own parts (its `runtime.ts`, health/index.ts) and this file keeps the
 * start-up and shutdown order (docs/architecture.md "Composition").
 */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino(loggerOptions(config.logLevel));
  const keySource = resolveRuntimeKeys(config, log);
  const { store } = await openRuntimeStore(config, {
    poolSize: config.dbPoolSize,
    log,
    ...(opts.store ? { reuse: opts.store } : {}),
  });
  const ownsStore = opts.store === undefined;
  try {
    const base: Base = { config, opts, clock, log, db: store.db };
    const services = await createServices(base, keySource.spec);
    const features = createFeatures(base, services);
    const gate = createShutdownGate();
    const app = await buildHttp(base, services, features, gate);
    return runtimeOf({ ...services, ...features, app, gate, log, config, store, ownsStore });
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}

/** What every part is built from. */
interface Base {
  config: Config;
  opts: RuntimeOptions;
  clock: Clock;
  log: Logger;
  db: Db;
}

/** This node's keys, then the domain services (layer 3 of docs/architecture.md) and health work. */
async function createServices({ config, opts, clock, log, db }: Base, keySpec: string) {
  const nodeId = opts.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { keys, primary, ledger } = await openRuntimeKeys({ db, spec: keySpec, clock, log, nodeId });
  const box = primary.box;
  const audit = createAuditService({ db, clock });
  const accounts = createAccountService({ db, clock, audit });
  const boot = await accounts.bootstrap(config.bootstrapToken);
  if (boot.ignored) {
    log.warn(
      'CREDVAULT_BOOTSTRAP_TOKEN is set but ignored: the database already has accounts and this token is not one of their live tokens, so it will not authenticate. To recover admin access run `credvault tokens bootstrap` on this database, then unset the variable.',
    );
  }
  const oauthApps = createOAuthAppService({
    db,
    box,
    clock,
    audit,
    events: (trx, list) => writeEvents(trx, list, clock.now()),
  });
  const specs: Record<string, KindSpec> = createKindSpecs({ extraHosts: config.providerHosts });
  const spec = (k: string): KindSpec | undefined => {
    const kind = resolveKind(k);
    return kind ? specs[kind] : undefined;
  };
  const credentialRepo = createCredentialRepository(db);
  const health = createHealth({
    db,
    repos: { credentials: credentialRepo, oauthApps: createOAuthAppRepository(db) },
    box,
    clock,
    log,
    config,
    audit,
    oauthApps,
    spec,
    fingerprint: keys.fingerprint,
    ...(opts.modules ? { modules: opts.modules } : {}),
    ...(opts.http ? { http: opts.http } : {}),
    nodeId,
    ...(opts.failpoint ? { failpoint: opts.failpoint } : {}),
  });
  const proxyCache = createMaterialCache(config.proxy.cacheMs, clock);
  const credentials = createCredentialRuntime({
    db,
    repo: credentialRepo,
    oauthApps,
    audit,
    box,
    clock,
    fingerprint: keys.fingerprint,
    resolveKind: spec,
    lookup: cachedLookup(opts.lookup ?? systemLookup()),
    config,
    ...(health.identifyAtImport ? { identifyAtImport: health.identifyAtImport } : {}),
    // The import answer does not wait for the check; the scheduler picks it up at once. The
    // proxy forgets what it cached of a credential this node re-imports or deletes.
    afterImport: (row) => {
      proxyCache.forget(row.id);
      health.scheduler.wake();
    },
    afterRemove: (id) => proxyCache.forget(id),
  });
  const events = createEventService({ db, clock, retentionDays: config.eventRetentionDays });
  return {
    nodeId,
    keys,
    primary,
    ledger,
    audit,
    accounts,
    boot,
    oauthApps,
    spec,
    health,
    proxyCache,
    credentials,
    events,
  };
}
type Services = Awaited<ReturnType<typeof createServices>>;

/** Webhooks, idempotency, Connect and the proxy, on the services. */
function createFeatures({ config, opts, clock, log, db }: Base, s: Services) {
  const box = s.primary.box;
  const webhooks = createWebhookRuntime({
    db,
    box,
    clock,
    log,
    nodeId: s.nodeId,
    config,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    ...(opts.webhookHttp ? { http: opts.webhookHttp } : {}),
  });
  const idempotency = createIdempotencyService({
    db,
    clock,
    seal: (accountId, key, body) => box.seal(body, idempotencyResponsePlace(accountId, key)),
    unseal: (accountId, key, sealed) => box.open(sealed, idempotencyResponsePlace(accountId, key)),
  });
  const connect = createConnectRuntime({
    db,
    oauthApps: s.oauthApps,
    credentials: s.credentials,
    audit: s.audit,
    box,
    clock,
    log,
    spec: s.spec,
    health: s.health,
    config,
  });
  const proxy = createProxyRuntime({
    health: s.health.service,
    tokens: s.health.tokens,
    oauthApps: s.oauthApps,
    audit: s.audit,
    clock,
    log,
    config,
    modules: opts.modules ?? PROVIDER_MODULES,
    ...(opts.lookup ? { lookup: opts.lookup } : {}),
    cache: s.proxyCache,
  });
  return { webhooks, idempotency, connect, proxy };
}
type Features = ReturnType<typeof createFeatures>;

/** The HTTP app on every service; its knobs come from the configuration. */
function buildHttp({ config, clock, log, db }: Base, s: Services, f: Features, gate: ShutdownGate): Promise<App> {
  return buildApp({
    connect: {
      connect: f.connect.connect,
      connectFlow: f.connect.connectFlow,
      linkRateLimitPerMinute: config.linkRateLimitPerMinute,
    },
    revoke: f.connect.revoke,
    gate,
    keys: { status: () => keyStatus(db, clock.now()) },
    accounts: s.accounts,
    audit: s.audit,
    credentials: s.credentials,
    oauthApps: s.oauthApps,
    health: s.health.service,
    tokens: s.health.tokens,
    events: s.events,
    webhooks: f.webhooks.webhooks,
    proxy: { proxy: f.proxy.proxy, usage: f.proxy.usage, maxAnswerBytes: config.proxy.maxAnswerBytes, log },
    idempotency: f.idempotency,
    // Request hashes are keyed (HMAC) by a key derived from the server's fingerprint key, a
    // random server secret sealed under the master key: stable across nodes and key rotation.
    requestHashKey: s.keys.fingerprint('credvault idempotency request hash v1'),
    ping: () => pingStore(db),
    rateLimitPerSecond: config.rateLimitPerSecond,
    authFailureLimit: config.authFailureLimit,
    requestTimeoutMs: config.requestTimeoutMs,
    logger: log,
  });
}

/**
 * Start and stop, in order: background work starts after the app is built; close and shutdown
 * stop the workers and the app first, then the pools, the key heartbeat, the use and encryption
 * counts, and the store last (if this runtime opened it).
 */
function runtimeOf(
  p: Services &
    Features & { app: App; gate: ShutdownGate; log: Logger; config: Config; store: StoreHandle; ownsStore: boolean },
): Runtime {
  const { app, gate, log, health, primary, ledger } = p;
  const { deliveries } = p.webhooks;
  const { usage } = p.proxy;
  const purge = hourlyPurge(p.events, p.idempotency, log);
  const closeRest = async () => {
    p.proxy.http.close();
    p.webhooks.http.close();
    health.close();
    // This node no longer counts as live for key promotion once it is gone.
    await primary.stop();
    await usage.stop().catch(() => log.warn('recording proxy use counts at shutdown failed'));
    // What this node sealed since the last recording (C5); a failure must not block shutdown.
    await ledger.stop().catch(() => log.warn('recording master-key encryption counts at shutdown failed'));
    if (p.ownsStore) await p.store.close();
  };
  return {
    app,
    store: p.store,
    log,
    health,
    events: p.events,
    deliveries,
    ...(p.boot.token ? { bootstrapToken: p.boot.token } : {}),
    ledger,
    keyPrimary: primary,
    usage,
    startBackground() {
      health.scheduler.start();
      usage.start();
      ledger.start();
      primary.start(() => log.warn("reporting this node's master keys (heartbeat) failed; will retry"));
      if (p.config.webhooks) deliveries.start();
      purge.start();
    },
    async close() {
      purge.stop();
      await health.scheduler.stop();
      await deliveries.stop();
      await app.close();
      await closeRest();
    },
    async shutdown(graceMs) {
      gate.begin();
      purge.stop();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), graceMs);
      });
      // Stops accepting at once; resolves when the running requests and checks are done.
      const closed = app.close();
      const drained = Promise.all([health.scheduler.stop(), deliveries.stop(), closed]).then(() => 'done' as const);
      if ((await Promise.race([drained, grace])) === 'late') {
        log.warn(
          { requests: gate.abandonInFlight(), checks: health.scheduler.stats().inFlight },
          'shutdown grace period over: abandoning what still runs (leases expire; another node takes over)',
        );
        await Promise.race([closed, new Promise((r) => setTimeout(r, 500))]);
      }
      clearTimeout(timer);
      // Abandoned work may still hold a connection: closing must not wait for it for long.
      await Promise.race([closeRest(), new Promise((r) => setTimeout(r, 1000).unref())]);
    },
  };
}

/** The hourly purge of events past retention and of expired idempotency keys (started once). */
function hourlyPurge(
  events: Pick<EventService, 'purgeExpired'>,
  idempotency: Pick<IdempotencyService, 'purgeExpired'>,
  log: Logger,
) {
  let purgeTimer: NodeJS.Timeout | undefined;
  return {
    start() {
      purgeTimer ??= setInterval(() => {
        events.purgeExpired().then(
          (n) => n > 0 && log.info({ purged: n }, 'events past retention purged'),
          () => log.warn('purging events past retention failed; will retry'),
        );
        idempotency.purgeExpired().then(
          (n) => n > 0 && log.info({ purged: n }, 'expired idempotency keys purged'),
          () => log.warn('purging expired idempotency keys failed; will retry'),
        );
      }, 3600_000).unref();
    },
    stop() {
      if (purgeTimer) clearInterval(purgeTimer);
    },
  };
}
