import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { Config } from '../config.js';
import type { HealthService } from '../health/service.js';
import type { Clock } from '../lib/clock.js';
import { createStreamingHttp } from '../net/pool.js';
import type { Lookup } from '../net/tenant.js';
import type { OAuthAppService } from '../oauth-apps/service.js';
import type { ProviderModule } from '../providers/module.js';
import type { Provider } from '../providers/registry.js';
import type { TokenService } from '../tokens/service.js';
import type { MaterialCache } from './cache.js';
import { createPacer } from './pacing.js';
import { createProxyService } from './service.js';
import { createUsageCounter } from './usage.js';

export interface ProxyRuntimeDeps {
  health: HealthService;
  tokens: TokenService;
  oauthApps: Pick<OAuthAppService, 'getRow' | 'reveal'>;
  audit: AuditService;
  clock: Clock;
  log: Logger;
  config: Pick<Config, 'proxy' | 'providerUrls'>;
  /** The provider modules whose named base URLs proxied calls go to. */
  modules: Record<Provider, ProviderModule>;
  /** DNS answers (tests); otherwise the system's. */
  lookup?: Lookup;
  /** The per-node credential cache, shared with the credential service, which empties it (cache.ts). */
  cache: MaterialCache;
}

/**
 * The proxy on one node (proxy spec): pooled keep-alive connections (net/pool.ts), pacing per
 * credential, counted use. Nothing starts here: the composition root (src/main.ts) starts and
 * stops the use counter and closes the pool.
 */
export function createProxyRuntime(d: ProxyRuntimeDeps) {
  const http = createStreamingHttp({
    allowedOrigins: Object.values(d.config.providerUrls),
    ...(d.lookup ? { lookup: d.lookup } : {}),
  });
  const usage = createUsageCounter({ audit: d.audit, clock: d.clock, log: d.log, flushMs: d.config.proxy.useFlushMs });
  const proxy = createProxyService({
    health: d.health,
    tokens: d.tokens,
    http,
    pacer: createPacer(d.config.proxy.concurrency, 10_000),
    limits: d.config.proxy,
    providerUrls: d.config.providerUrls,
    baseUrls: (p) => d.modules[p].baseUrls,
    async appSecret(accountId, appId) {
      const row = await d.oauthApps.getRow(accountId, appId).catch(() => undefined);
      return row ? d.oauthApps.reveal(row).clientSecret : undefined;
    },
    log: d.log,
    clock: d.clock,
    cache: d.cache,
  });
  return { proxy, usage, http };
}
