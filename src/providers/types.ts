/**
 * The spine of a credential kind: everything credvault knows about a kind is declared data on
 * its KindSpec (docs/architecture.md, "Adding a provider"). The kind and provider names are not
 * listed here: `Kind` and `KINDS` come from the kind registry (registry.ts), `Provider` and
 * `PROVIDERS` from the provider registry (api/index.ts).
 */
import type { z } from 'zod';
import type { Provider } from './api/index.js';
import type { ConnectSpec } from './connect.js';
import type { ProxyTarget } from './proxy.js';

export type { Provider } from './api/index.js';

/** Helpers an identity function may use; passed in so kinds stay pure. */
export interface IdentityContext {
  /** HMAC-SHA256 of a secret under the server's fingerprint key, hex. */
  fingerprint(secret: string): string;
}

/**
 * The result of computing a provider-account identity.
 * `secretField` names the secret the identity was derived from (a fingerprint), so a
 * masked value of that field can be refused: the identity would depend on the mask.
 */
export interface Identity {
  value: string;
  secretField?: string;
}

/** A property name of a kind's validated properties. */
type FieldOf<S extends z.ZodObject> = keyof z.output<S> & string;

/**
 * A tenant-supplied host credvault connects to (Salesforce instance_url, Shopify shop...):
 * `host` turns the field's value into the host name, undefined when there is none. Every such
 * host is vetted against SSRF at import (net/tenant.ts, docs/security.md).
 */
export interface TenantHost<S extends z.ZodObject = z.ZodObject> {
  field: FieldOf<S>;
  host(value: string): string | undefined;
}

/** Everything credvault knows about one credential kind. */
export interface KindSpec<S extends z.ZodObject = z.ZodObject, K extends string = string> {
  kind: K;
  provider: Provider;
  /** Input names accepted for this kind besides the canonical one. */
  aliases: readonly string[];
  /** Strict schema of `properties` without `kind`; its output is what is stored. */
  schema: S;
  /** Fields encrypted at rest and masked in every answer. */
  secretFields: readonly (keyof z.output<S> & string)[];
  oauthApp: 'required' | 'optional';
  /** Where POST /v1/credentials/{id}/access-token gets the token it answers (and whether checks refresh). */
  accessToken: AccessTokenSource;
  /**
   * The property holding the credential's current access token (the API key itself for
   * `field` kinds), kept up to date by refreshes; null when the kind keeps its token outside its
   * properties (minted or refreshed tokens cached sealed) or has none.
   */
  tokenField: FieldOf<S> | null;
  /** The property holding that token's expiry (ISO 8601), written by refreshes; null when none. */
  expiryField: FieldOf<S> | null;
  /**
   * Non-secret properties a check or a refresh may learn from the provider and store
   * (e.g. Stripe `account_id`, Salesforce `org_id`); anything else a provider answers is dropped.
   */
  learnable: readonly FieldOf<S>[];
  /** Tenant-supplied hosts, vetted against SSRF at import; [] when the provider's hosts are fixed. */
  tenantHosts: readonly TenantHost<S>[];
  /**
   * How Connect obtains a credential of this kind (connect.ts): the provider's consent page
   * (authorization and token endpoints, scopes, PKCE, how the token reply becomes properties,
   * revocation), a GitHub App installation, or credvault's own form for key kinds.
   */
  connect: ConnectSpec;
  /** Where the proxy sends this kind's calls (a named base URL or a tenant host) and how it authenticates them (proxy.ts). */
  proxy: ProxyTarget;
  /**
   * The provider-account identity from validated properties (docs/kinds.md, "identity" column),
   * already normalized. Secret values may be absent when the caller sent the mask; the
   * function is called with the stored secrets merged in by then.
   */
  identity(props: z.output<S>, ctx: IdentityContext): Identity;
  /**
   * Cross-field rules and derived fields, run after the schema once masked secrets have been
   * replaced by their stored values (e.g. Stripe `test` derived from the key prefix, a
   * contradiction reported; `expires_in` turned into `expires_at`). Returns the final
   * properties, or issues keyed by field name (without the `properties.` prefix).
   */
  finalize?(props: z.output<S>, ctx: FinalizeContext): FinalizeResult<z.output<S>>;
  /** The tenant host this kind's secrets (and its OAuth app's) are sent to, when it has one. */
  tenantHost?: TenantHostRule;
}

/**
 * Where a per-instance kind's tenant host comes from and who may be sent secrets there
 * (issue 13 item 1; docs: "OAuth apps bound to hosts"). Declared data next to the kind.
 * - `field`/`form`: the property naming the host, as a bare host or a URL's host.
 * - `suffixes`: the provider's own host suffixes; CREDVAULT_PROVIDER_HOSTS_<P> adds more.
 * - `appBound`: the OAuth app's client secret goes to this host, so the app must name it in its
 *   `hosts` setting (a credential whose host the app does not cover is refused at import).
 */
export interface TenantHostRule {
  field: string;
  form: 'host' | 'url';
  suffixes: readonly string[];
  appBound: boolean;
}

/**
 * - `field`: a long-lived secret of the credential (`tokenField`), answered as is (API keys,
 *   non-expiring tokens).
 * - `refresh`: an OAuth access token renewed with the credential's refresh_token before it
 *   expires; kept in the `access_token` field when the kind has one, else cached sealed. Without a
 *   refresh_token (Linear's is optional) the `access_token` field is answered as is.
 * - `mint`: a short-lived token made from the credential itself whenever it runs out (a GitHub App
 *   installation token, a client-credentials grant), cached sealed. Not refreshed ahead of time:
 *   minting needs nothing that could expire. `checkNeedsToken` says whether the health check
 *   calls the provider with that token (else it proves the credential on its own).
 * - `none`: the kind has no bearer token (`why` says what it uses instead).
 */
export type AccessTokenSource =
  { from: 'field' } | { from: 'refresh' } | { from: 'mint'; checkNeedsToken: boolean } | { from: 'none'; why: string };

export interface FinalizeContext {
  now: Date;
}

export type FinalizeResult<P> = { ok: true; props: P } | { ok: false; issues: Record<string, string[]> };
