import type { OutboundHttp } from '../net/types.js';

/** Machine-readable cause of a failed check or refresh (health.reason). */
export type HealthReason =
  | 'unauthorized'
  | 'invalid_grant'
  | 'forbidden'
  | 'missing_scope'
  | 'not_found'
  | 'rate_limited'
  | 'provider_error'
  | 'network_error'
  | 'timeout'
  | 'invalid_response'
  | 'blocked_host'
  | 'misconfigured';

/** Transient reasons keep the health status and back off; the others set it. */
export const TRANSIENT_REASONS: ReadonlySet<HealthReason> = new Set<HealthReason>([
  'rate_limited',
  'provider_error',
  'network_error',
  'timeout',
  'invalid_response',
]);

export interface ProviderFailure {
  ok: false;
  reason: HealthReason;
  /** HTTP status the provider answered, when it answered. */
  status?: number;
  /** A sentence a person can act on: names the cause and the fix; never a secret or raw body. */
  note: string;
  /** Seconds the provider asked us to wait (Retry-After), when given. */
  retryAfterSeconds?: number;
  /**
   * The provider refused the OAuth app rather than this credential (its client id or secret, a
   * GitHub App's key): every credential of that app fails alike, and the app's health says so.
   */
  oauthApp?: true;
}

export interface IdentifySuccess {
  ok: true;
  /** The provider's own account id (Stripe acct_..., Salesforce org id, Airtable user id...). */
  accountId?: string;
  scopes?: string[];
  /** Non-secret properties learned (e.g. { account_id: 'acct_1' }, { org_id, user_id }). */
  learned?: Record<string, unknown>;
  /** Set when the check worked but something deserves a warning (e.g. missing scopes). */
  warning?: { reason: HealthReason; note: string };
}

export interface RefreshSuccess {
  ok: true;
  accessToken: string;
  /** When the new access token expires, if the provider says. */
  expiresAt?: Date;
  /** A rotated refresh token; absent means keep the old one. */
  refreshToken?: string;
  /** Non-secret properties learned (e.g. a Salesforce instance_url, validated before storing). */
  learned?: Record<string, unknown>;
}

export type IdentifyResult = IdentifySuccess | ProviderFailure;
export type RefreshResult = RefreshSuccess | ProviderFailure;

/** The credential as a provider module sees it: properties with secrets in plaintext. */
export interface ProviderCredential {
  kind: string;
  properties: Record<string, unknown>;
}

export interface OAuthAppSecrets {
  clientId: string;
  clientSecret: string;
  settings: Record<string, unknown>;
  /** Which app (for the audit of where its secret goes; src/oauth-apps/host-ledger.ts). */
  app?: { id: string; accountId: string; name: string };
}

export interface ProviderContext {
  http: OutboundHttp;
  /** Base URL for a named API host of this provider (default, or CREDVAULT_PROVIDER_URL_<P>). */
  baseUrl(name?: string): string;
  /**
   * Base URL for a tenant-supplied host (Salesforce instance_url host, Shopify shop, Workday host,
   * Auth0 domain, NetSuite account...): `https://<host>`, or the operator's override when set.
   * The host was validated against the provider's allowed pattern at import.
   */
  tenantUrl(host: string): string;
  /**
   * Host suffixes the operator allows for this provider's tenant hosts on top of the
   * provider's own (CREDVAULT_PROVIDER_HOSTS_<P>): a host a token reply names is checked
   * against the same list as one given at import.
   */
  extraHosts: readonly string[];
  now(): Date;
  oauthApp?: OAuthAppSecrets;
}

/** One provider: how to prove a credential works and, for OAuth kinds, how to refresh it. */
export interface ProviderModule {
  provider: string;
  /** The provider's name as people write it (HubSpot, GitHub, ServiceNow), for notes. */
  displayName: string;
  /** Default API base URLs by name; `default` is the main one. Data, not code. */
  baseUrls: { default: string } & Record<string, string>;
  identify(cred: ProviderCredential, ctx: ProviderContext): Promise<IdentifyResult>;
  refresh?(cred: ProviderCredential, ctx: ProviderContext): Promise<RefreshResult>;
}
