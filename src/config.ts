import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { plausibleToken } from './accounts/tokens.js';
import { KeyFileError, assertPrivateFile } from './crypto/key-files.js';
import { PROVIDERS, type Provider } from './providers/registry.js';

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** One schema over the environment, parsed once in main.ts and passed in. */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  CREDVAULT_DATA_DIR: z.string().min(1).default('./.credvault'),
  CREDVAULT_MASTER_KEYS: z.string().min(1).optional(),
  CREDVAULT_MASTER_KEYS_FILE: z.string().min(1).optional(),
  // The predicate authentication uses: a token that passes config can always authenticate.
  CREDVAULT_BOOTSTRAP_TOKEN: z
    .string()
    .refine(
      plausibleToken,
      'must be a token `credvault` generated (cv_live_..., checksum intact) or one you chose of 32 to 512 printable ASCII characters (no spaces) that does not start with cv_',
    )
    .optional(),
  CREDVAULT_RATE_LIMIT: z.coerce.number().min(0).default(100),
  CREDVAULT_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).default(60),
  CREDVAULT_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  CREDVAULT_IMPORT_IDENTIFY: boolish.default(true),
  CREDVAULT_IMPORT_IDENTIFY_TIMEOUT_MS: z.coerce.number().int().min(0).default(3000),
  CREDVAULT_CHECK_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(6 * 3600),
  CREDVAULT_REFRESH_MARGIN_SECONDS: z.coerce.number().int().min(0).default(600),
  CREDVAULT_PROVIDER_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  CREDVAULT_ACCOUNT_IN_FLIGHT: z.coerce.number().int().min(1).optional(),
  CREDVAULT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  CREDVAULT_SCHEDULER: boolish.default(true),
  CREDVAULT_DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  CREDVAULT_PREPARED_STATEMENTS: boolish.default(true),
  CREDVAULT_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: z.string().optional(),
  CREDVAULT_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  CREDVAULT_WEBHOOK_LEASE_SECONDS: z.coerce.number().int().min(1).max(30).default(30),
  CREDVAULT_WEBHOOKS: boolish.default(true),
  CREDVAULT_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^/?#]+\/?$/, 'must be an http(s) origin such as https://vault.example.com')
    .optional(),
  CREDVAULT_CONNECT_REDIRECT_URLS: z.string().optional(),
  CREDVAULT_LINK_RATE_LIMIT: z.coerce.number().int().min(0).default(60),
  CREDVAULT_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).default(5000),
  CREDVAULT_DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
  CREDVAULT_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  CREDVAULT_DB_STARTUP_WAIT_SECONDS: z.coerce.number().int().min(0).default(60),
  CREDVAULT_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(7000),
  CREDVAULT_PROXY_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(10 * 1024 * 1024),
  CREDVAULT_PROXY_MAX_ANSWER_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(50 * 1024 * 1024),
  CREDVAULT_PROXY_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  CREDVAULT_PROXY_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  CREDVAULT_PROXY_USE_FLUSH_SECONDS: z.coerce.number().min(0.1).default(10),
  CREDVAULT_PROXY_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  CREDVAULT_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  masterKeys: string | undefined;
  bootstrapToken: string | undefined;
  rateLimitPerSecond: number;
  /** Failed authentications (401) allowed per client address per minute; then 429 (0 disables). */
  authFailureLimit: number;
  /** Time a client has to send a whole request (headers and body); slower connections are closed. */
  requestTimeoutMs: number;
  importIdentify: boolean;
  importIdentifyTimeoutMs: number;
  checkIntervalSeconds: number;
  refreshMarginSeconds: number;
  providerConcurrency: number;
  /** CREDVAULT_ACCOUNT_IN_FLIGHT: most background checks of one account queued or in provider calls at once (default: a node's claim capacity less one provider's concurrency). */
  accountInFlight: number | undefined;
  providerTimeoutMs: number;
  /** CREDVAULT_TOKEN_CACHE_MS: how long an opened token stays in memory for the next reveal (crypto/recent-opened.ts); 0 = never. */
  tokenCacheMs: number;
  scheduler: boolean;
  /** PostgreSQL connections per node. */
  dbPoolSize: number;
  /** Hot queries as named prepared statements (off behind PgBouncer in transaction mode before 1.21). */
  preparedStatements: boolean;
  /** PostgreSQL: longest wait to open a connection (TCP + start-up); 0 = none. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: longest wait for a query's answer on the client side; 0 = none. */
  dbQueryTimeoutMs: number;
  /** PostgreSQL: the server-side statement_timeout of our sessions; 0 = none. */
  dbStatementTimeoutMs: number;
  /** PostgreSQL: how long start-up waits for the server before giving up. */
  dbStartupWaitSeconds: number;
  /** SIGTERM: how long in-flight requests and checks may take before they are abandoned. */
  shutdownGraceMs: number;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Events older than this many days are purged. */
  eventRetentionDays: number;
  /** Origins webhooks may reach over http or at non-public addresses (local receivers, on-premise). */
  webhookAllowedOrigins: string[];
  /** Delivery requests in flight per endpoint. */
  webhookConcurrency: number;
  /** Lease on a claimed delivery (30 s at most). */
  webhookLeaseSeconds: number;
  /** Run the delivery worker on this node. */
  webhooks: boolean;
  /** CREDVAULT_PUBLIC_URL: the origin browsers and providers reach; Connect callbacks are built from it. */
  publicUrl: string;
  /** CREDVAULT_CONNECT_REDIRECT_URLS: redirect_url values allowed for Connect flows without an OAuth app. */
  connectRedirectUrls: string[];
  /** CREDVAULT_LINK_RATE_LIMIT: /link requests a minute per client address (0 = off). */
  linkRateLimitPerMinute: number;
  /** The proxy's caps (proxy spec, "Rules"): request body, answer, deadline, calls in flight per credential. */
  proxy: {
    maxBodyBytes: number;
    maxAnswerBytes: number;
    timeoutMs: number;
    concurrency: number;
    useFlushMs: number;
    /** How long a node reuses a credential it read for the proxy (proxy/cache.ts); 0 = never. */
    cacheMs: number;
  };
  /** CREDVAULT_PROVIDER_URL_<PROVIDER>: base URLs replacing a provider's real host. */
  providerUrls: Partial<Record<Provider, string>>;
  /** CREDVAULT_PROVIDER_HOSTS_<PROVIDER>: extra host suffixes allowed for tenant hosts. */
  providerHosts: Partial<Record<Provider, string[]>>;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset (as shells and container runtimes often pass them).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const masterKeys = masterKeysFrom(e.CREDVAULT_MASTER_KEYS, e.CREDVAULT_MASTER_KEYS_FILE);
  for (const o of (e.CREDVAULT_WEBHOOK_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0)) {
    if (!/^https?:\/\/[^/]+\/?$/.test(o))
      throw new ConfigError(
        'CREDVAULT_WEBHOOK_ALLOWED_ORIGINS must list origins such as http://127.0.0.1:9000, comma-separated',
      );
  }
  const providerUrls: Partial<Record<Provider, string>> = {};
  const providerHosts: Partial<Record<Provider, string[]>> = {};
  for (const p of PROVIDERS) {
    const url = env[`CREDVAULT_PROVIDER_URL_${p.toUpperCase()}`];
    if (url) {
      if (!/^https?:\/\/[^/]+/.test(url)) {
        throw new ConfigError(`CREDVAULT_PROVIDER_URL_${p.toUpperCase()} must be an http(s) URL`);
      }
      providerUrls[p] = url.replace(/\/+$/, '');
    }
    const hosts = env[`CREDVAULT_PROVIDER_HOSTS_${p.toUpperCase()}`];
    if (hosts) {
      providerHosts[p] = hosts
        .split(',')
        .map((h) => h.trim().toLowerCase().replace(/^\.+/, ''))
        .filter((h) => h.length > 0);
    }
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.CREDVAULT_DATA_DIR,
    masterKeys,
    bootstrapToken: e.CREDVAULT_BOOTSTRAP_TOKEN,
    rateLimitPerSecond: e.CREDVAULT_RATE_LIMIT,
    authFailureLimit: e.CREDVAULT_AUTH_FAILURE_LIMIT,
    requestTimeoutMs: e.CREDVAULT_REQUEST_TIMEOUT_MS,
    importIdentify: e.CREDVAULT_IMPORT_IDENTIFY,
    importIdentifyTimeoutMs: e.CREDVAULT_IMPORT_IDENTIFY_TIMEOUT_MS,
    checkIntervalSeconds: e.CREDVAULT_CHECK_INTERVAL_SECONDS,
    refreshMarginSeconds: e.CREDVAULT_REFRESH_MARGIN_SECONDS,
    providerConcurrency: e.CREDVAULT_PROVIDER_CONCURRENCY,
    accountInFlight: e.CREDVAULT_ACCOUNT_IN_FLIGHT,
    providerTimeoutMs: e.CREDVAULT_PROVIDER_TIMEOUT_MS,
    tokenCacheMs: e.CREDVAULT_TOKEN_CACHE_MS,
    scheduler: e.CREDVAULT_SCHEDULER,
    dbPoolSize: e.CREDVAULT_DB_POOL_SIZE,
    preparedStatements: e.CREDVAULT_PREPARED_STATEMENTS,
    dbConnectTimeoutMs: e.CREDVAULT_DB_CONNECT_TIMEOUT_MS,
    dbQueryTimeoutMs: e.CREDVAULT_DB_QUERY_TIMEOUT_MS,
    dbStatementTimeoutMs: e.CREDVAULT_DB_STATEMENT_TIMEOUT_MS,
    dbStartupWaitSeconds: e.CREDVAULT_DB_STARTUP_WAIT_SECONDS,
    shutdownGraceMs: e.CREDVAULT_SHUTDOWN_GRACE_MS,
    logLevel: e.LOG_LEVEL,
    eventRetentionDays: e.CREDVAULT_EVENT_RETENTION_DAYS,
    webhookAllowedOrigins: (e.CREDVAULT_WEBHOOK_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
    webhookConcurrency: e.CREDVAULT_WEBHOOK_CONCURRENCY,
    webhookLeaseSeconds: e.CREDVAULT_WEBHOOK_LEASE_SECONDS,
    webhooks: e.CREDVAULT_WEBHOOKS,
    publicUrl: (e.CREDVAULT_PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
    connectRedirectUrls: (e.CREDVAULT_CONNECT_REDIRECT_URLS ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0),
    linkRateLimitPerMinute: e.CREDVAULT_LINK_RATE_LIMIT,
    proxy: {
      maxBodyBytes: e.CREDVAULT_PROXY_MAX_BODY_BYTES,
      maxAnswerBytes: e.CREDVAULT_PROXY_MAX_ANSWER_BYTES,
      timeoutMs: e.CREDVAULT_PROXY_TIMEOUT_MS,
      concurrency: e.CREDVAULT_PROXY_CONCURRENCY,
      useFlushMs: e.CREDVAULT_PROXY_USE_FLUSH_SECONDS * 1000,
      cacheMs: e.CREDVAULT_PROXY_CACHE_MS,
    },
    providerUrls,
    providerHosts,
  };
}

/** CREDVAULT_MASTER_KEYS, or the contents of CREDVAULT_MASTER_KEYS_FILE (a file only its owner may read). */
function masterKeysFrom(value: string | undefined, file: string | undefined): string | undefined {
  if (file === undefined) return value;
  if (value !== undefined) throw new ConfigError('Set CREDVAULT_MASTER_KEYS or CREDVAULT_MASTER_KEYS_FILE, not both.');
  try {
    assertPrivateFile(file, 'CREDVAULT_MASTER_KEYS_FILE');
    const text = readFileSync(file, 'utf8').trim();
    if (text === '') throw new ConfigError(`CREDVAULT_MASTER_KEYS_FILE ${file} is empty.`);
    return text;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof KeyFileError) throw new ConfigError(err.message);
    throw new ConfigError(
      `CREDVAULT_MASTER_KEYS_FILE ${file} cannot be read: ${err instanceof Error && 'code' in err ? String(err.code) : 'error'}.`,
    );
  }
}
