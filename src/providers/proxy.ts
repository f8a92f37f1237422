/**
 * The `proxy` slot of a kind (docs/architecture.md, "The kind spine"): how the proxy reaches a
 * kind's API and authenticates there (the proxy spec's table), declared in the kind's file like
 * the checks' base URLs in the api file.
 */

/** Non-secret properties of a credential, as stored. */
export type ProxyProps = Readonly<Record<string, unknown>>;

/**
 * Where requests go: a named base URL of the provider module (`baseUrls[api]`), or a tenant host
 * (`https://<host>`) taken from the credential. CREDVAULT_PROVIDER_URL_<P> replaces both.
 */
export type ProxyBase = { api: string } | { host: string };

export type ProxyAuth =
  /** `Authorization: Bearer <token>`: the kind's access token (key, refreshed or minted). */
  | { scheme: 'bearer' }
  /** The access token in a header of the provider's own (Shopify). */
  | { scheme: 'token_header'; header: string }
  /** Stripe Connect: Bearer with the OAuth app's client secret (the platform key) and `Stripe-Account`. */
  | { scheme: 'stripe_connect'; accountField: string }
  /** OAuth 1.0a HMAC-SHA256 signature with a realm (NetSuite token-based authentication). */
  | { scheme: 'oauth1'; realmField: string }
  /** Credentials added to the query string, each `query name: property`; such URLs are never logged. */
  | { scheme: 'query'; params: Readonly<Record<string, string>> };

export interface ProxyTarget {
  base(props: ProxyProps): ProxyBase | undefined;
  auth: ProxyAuth;
}

export const str = (props: ProxyProps, field: string): string | undefined => {
  const v = props[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** The host of a stored https URL property (Salesforce and ServiceNow instance_url). */
export function hostOf(props: ProxyProps, field: string): ProxyBase | undefined {
  const v = str(props, field);
  if (v === undefined) return undefined;
  try {
    return { host: new URL(v).host };
  } catch {
    return undefined;
  }
}

export const bearerAt = (api = 'default'): ProxyTarget => ({ base: () => ({ api }), auth: { scheme: 'bearer' } });

export const bearerOnHost = (field: string): ProxyTarget => ({
  base: (p) => {
    const host = str(p, field);
    return host === undefined ? undefined : { host };
  },
  auth: { scheme: 'bearer' },
});
