import { type EncryptionLedger, createEncryptionLedger } from './crypto/ledger.js';
import pino, { type Logger } from 'pino';
import { createAccountService } from './accounts/service.js';
import { createAuditService } from './audit/service.js';
import type { Config } from './config.js';
import { openServerKeys, resolveMasterKeys } from './crypto/boot.js';
import { idempotencyResponsePlace } from './crypto/places.js';
import { assertPrimaryNotRetired } from './crypto/rotation.js';
import { type KeyPrimary, keyStatus, openKeyPrimary } from './crypto/primary.js';
import { createCredentialRepository } from './credentials/repository/index.js';
import { createCredentialService } from './credentials/service.js';
import { type App, buildApp } from './http/app.js';
import { createShutdownGate } from './http/shutdown.js';
import { loggerOptions } from './http/logger.js';
import { createIdempotencyService } from './idempotency/service.js';
import { type Clock, systemClock } from './lib/clock.js';
import { createOAuthAppRepository } from './oauth-apps/repository.js';
import { createOAuthAppService } from './oauth-apps/service.js';
import { createKindSpecs, resolveKind } from './providers/registry.js';
import type { KindSpec } from './providers/types.js';
import { type StoreHandle, pingStore } from './store/db.js';
import { openRuntimeStore } from './store/runtime.js';
import { secureDataDir } from './crypto/key-files.js';
import { type HealthModule, createHealth } from './health/index.js';
import type { ProviderModule } from './providers/module.js';
import type { OutboundHttp } from './net/types.js';
import type { Provider } from './providers/types.js';
import { type Lookup, cachedLookup, systemLookup, vetTenantHosts } from './net/tenant.js';
import { eventWriter, writeEvents } from './events/outbox.js';
import { type EventService, createEventService } from './events/service.js';
import { createWebhookService } from './webhooks/service.js';
import { createWebhookHttp } from './webhooks/http.js';
import { type DeliveryWorker, createDeliveryWorker } from './webhooks/worker.js';
import { vetOutboundUrl } from './net/outbound.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { createConnectRepository } from './connect/repository.js';
import { createConnectService } from './connect/service.js';
import { createConnectFlow } from './connect/flow.js';
import { createRevoker } from './connect/revoke.js';
import { createStreamingHttp } from './net/pool.js';
import { createMaterialCache } from './proxy/cache.js';
import { createPacer } from './proxy/pacing.js';
import { createProxyService } from './proxy/service.js';
import { type UsageCounter, createUsageCounter } from './proxy/usage.js';
import { PROVIDER_MODULES } from './providers/api/index.js';

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
  /** Starts background work on this node: health checks and the hourly purge of expired idempotency keys. */
  /** Encryptions per master key, recorded in the database (docs/security.md C5). */
  ledger: EncryptionLedger;
  /** The database's primary master key as this node sees it, and its heartbeat (crypto/primary.ts). */
  keyPrimary: KeyPrimary;
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

/** The composition root: config → store → keys → services → HTTP. The only place that wires. */
export async function createRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? pino(loggerOptions(config.logLevel));
  // Embedded mode: the data directory holds the database and the key file; private at every start.
  if (!config.databaseUrl && !config.dataDir.startsWith('memory://')) secureDataDir(config.dataDir);
  const keySource = resolveMasterKeys(config);
  if (keySource.generatedFile) {
    log.warn(
      { file: keySource.generatedFile },
      'No CREDVAULT_MASTER_KEYS set: generated a master key file. Back it up apart from the data: without it the secrets cannot be read.',
    );
  }
  const { store } = await openRuntimeStore(config, {
    poolSize: config.dbPoolSize,
    log,
    ...(opts.store ? { reuse: opts.store } : {}),
  });
  const ownsStore = opts.store === undefined;
  try {
    const db = store.db;
    const keys = await openServerKeys(db, keySource.spec, clock);
    // Seal with the database's primary key, not this node's configuration order; report the
    // key ids this node holds so a promotion waits for every live node (docs/security.md "Key rotation").
    const nodeId = opts.nodeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const primary = await openKeyPrimary({ db, keyring: keys.keyring, nodeId, clock });
    await assertPrimaryNotRetired(db, primary.current());
    const ledger = createEncryptionLedger({ db, keyring: keys.keyring, clock, log });
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
      box: primary.box,
      clock,
      audit,
      events: (trx, list) => writeEvents(trx, list, clock.now()),
    });
    const specs: Record<string, KindSpec> = createKindSpecs({ extraHosts: config.providerHosts });
    const spec = (k: string): KindSpec | undefined => {
      const kind = resolveKind(k);
      return kind ? specs[kind] : undefined;
    };
    const lookup = cachedLookup(opts.lookup ?? systemLookup());
    const credentialRepo = createCredentialRepository(db);
    const health = createHealth({
      db,
      repos: { credentials: credentialRepo, oauthApps: createOAuthAppRepository(db) },
      box: primary.box,
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
    const credentials = createCredentialService({
      repo: credentialRepo,
      oauthApps,
      box: primary.box,
      clock,
      fingerprint: keys.fingerprint,
      resolveKind: spec,
      providerHosts: config.providerHosts,
      vetProperties: (kindSpec, props) =>
        vetTenantHosts(kindSpec, props, lookup, config.providerUrls[kindSpec.provider] !== undefined),
      ...(health.identifyAtImport ? { identifyAtImport: health.identifyAtImport } : {}),
      // The import answer does not wait for the check; the scheduler picks it up at once. The
      // proxy forgets what it cached of a credential this node re-imports or deletes.
      afterImport: (row) => {
        proxyCache.forget(row.id);
        health.scheduler.wake();
      },
      afterRemove: (id) => proxyCache.forget(id),
      transaction: (fn) =>
        db.transaction().execute((trx) =>
          fn({
            repo: createCredentialRepository(trx),
            audit: { record: (entry) => audit.record(entry, trx) },
            events: eventWriter(trx, clock),
          }),
        ),
    });
    const events = createEventService({ db, clock, retentionDays: config.eventRetentionDays });
    // Deliveries go over kept connections (the proxy's pool, net/pool.ts, with every outbound check).
    const webhookHttp = createWebhookHttp({
      allowedOrigins: config.webhookAllowedOrigins,
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    const deliveries = createDeliveryWorker({
      db,
      box: primary.box,
      clock,
      log,
      http: opts.webhookHttp ?? webhookHttp,
      nodeId,
      leaseMs: config.webhookLeaseSeconds * 1000,
      perEndpoint: config.webhookConcurrency,
      timeoutMs: Math.min(15_000, config.webhookLeaseSeconds * 1000),
    });
    const webhooks = createWebhookService({
      db,
      box: primary.box,
      clock,
      vetUrl: (url) =>
        vetOutboundUrl(url, { allowedOrigins: config.webhookAllowedOrigins, lookup: opts.lookup ?? systemLookup() }),
      wake: () => deliveries.wake(),
    });
    let purgeTimer: NodeJS.Timeout | undefined;
    const idempotency = createIdempotencyService({
      db,
      clock,
      seal: (accountId, key, body) => primary.box.seal(body, idempotencyResponsePlace(accountId, key)),
      unseal: (accountId, key, sealed) => primary.box.open(sealed, idempotencyResponsePlace(accountId, key)),
    });
    const connectRepo = createConnectRepository(db);
    const connect = {
      connect: createConnectService({
        repo: connectRepo,
        oauthApps,
        credentials,
        audit,
        clock,
        resolveKind: spec,
        publicUrl: config.publicUrl,
        redirectUrls: config.connectRedirectUrls,
      }),
      connectFlow: createConnectFlow({
        repo: connectRepo,
        oauthApps,
        credentials,
        audit,
        box: primary.box,
        clock,
        log,
        spec,
        modules: health.modules,
        context: health.context,
        providerUrls: config.providerUrls,
        publicUrl: config.publicUrl,
        provenHealth: health.provenHealth,
      }),
      linkRateLimitPerMinute: config.linkRateLimitPerMinute,
    };
    const revoke = createRevoker({
      plain: health.plainCredential,
      modules: health.modules,
      context: health.context,
      providerUrls: config.providerUrls,
      credentials,
    });
    const gate = createShutdownGate();
    // The proxy: pooled keep-alive connections (net/pool.ts), pacing per credential, counted use.
    const proxyHttp = createStreamingHttp({
      allowedOrigins: Object.values(config.providerUrls),
      ...(opts.lookup ? { lookup: opts.lookup } : {}),
    });
    const usage = createUsageCounter({ audit, clock, log, flushMs: config.proxy.useFlushMs });
    const modules = opts.modules ?? PROVIDER_MODULES;
    const proxy = createProxyService({
      health: health.service,
      tokens: health.tokens,
      http: proxyHttp,
      pacer: createPacer(config.proxy.concurrency, 10_000),
      limits: config.proxy,
      providerUrls: config.providerUrls,
      baseUrls: (p) => modules[p].baseUrls,
      async appSecret(accountId, appId) {
        const row = await oauthApps.getRow(accountId, appId).catch(() => undefined);
        return row ? oauthApps.reveal(row).clientSecret : undefined;
      },
      log,
      clock,
      cache: proxyCache,
    });
    const app = await buildApp({
      connect,
      revoke,
      gate,
      keys: { status: () => keyStatus(db, clock.now()) },
      accounts,
      audit,
      credentials,
      oauthApps,
      health: health.service,
      tokens: health.tokens,
      events,
      webhooks,
      proxy: { proxy, usage, maxAnswerBytes: config.proxy.maxAnswerBytes, log },
      idempotency,
      // Request hashes are keyed (HMAC) by a key derived from the server's fingerprint key, a
      // random server secret sealed under the master key: stable across nodes and key rotation.
      requestHashKey: keys.fingerprint('credvault idempotency request hash v1'),
      ping: () => pingStore(db),
      rateLimitPerSecond: config.rateLimitPerSecond,
      authFailureLimit: config.authFailureLimit,
      requestTimeoutMs: config.requestTimeoutMs,
      logger: log,
    });
    const closeRest = async () => {
      proxyHttp.close();
      webhookHttp.close();
      health.close();
      // This node no longer counts as live for key promotion once it is gone.
      await primary.stop();
      await usage.stop().catch(() => log.warn('recording proxy use counts at shutdown failed'));
      // What this node sealed since the last recording (C5); a failure must not block shutdown.
      await ledger.stop().catch(() => log.warn('recording master-key encryption counts at shutdown failed'));
      if (ownsStore) await store.close();
    };
    return {
      app,
      store,
      log,
      health,
      events,
      deliveries,
      ...(boot.token ? { bootstrapToken: boot.token } : {}),
      ledger,
      keyPrimary: primary,
      usage,
      startBackground() {
        health.scheduler.start();
        usage.start();
        ledger.start();
        primary.start(() => log.warn("reporting this node's master keys (heartbeat) failed; will retry"));
        if (config.webhooks) deliveries.start();
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
      async close() {
        if (purgeTimer) clearInterval(purgeTimer);
        await health.scheduler.stop();
        await deliveries.stop();
        await app.close();
        await closeRest();
      },
      async shutdown(graceMs) {
        gate.begin();
        if (purgeTimer) clearInterval(purgeTimer);
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
  } catch (err) {
    if (ownsStore) await store.close();
    throw err;
  }
}
