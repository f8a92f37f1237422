import type { OutboundHttp, OutboundRequest } from '../net/types.js';
import type { OAuthAppSecrets, ProviderContext, ProviderModule } from '../providers/module.js';

export interface ContextFactoryDeps {
  http: OutboundHttp;
  /** CREDVAULT_PROVIDER_URL_<PROVIDER>: replaces every host of that provider (tests, proxies). */
  providerUrls: Partial<Record<string, string>>;
  /** CREDVAULT_PROVIDER_HOSTS_<PROVIDER>: extra host suffixes allowed for tenant hosts. */
  providerHosts?: Partial<Record<string, readonly string[]>>;
  now: () => Date;
  /**
   * Called (and awaited) before a request carrying an OAuth app's client secret leaves, with the
   * host it goes to: the first use toward a host is audited (oauth-apps/host-ledger.ts).
   */
  onAppSecretSent?: (app: NonNullable<OAuthAppSecrets['app']>, host: string) => Promise<void>;
}

/** Whether the request carries the app's client secret: in the body, a header, or Basic credentials. */
export function carriesSecret(req: OutboundRequest, secret: string): boolean {
  if (secret.length === 0) return false;
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
  ];
  const hay = [req.body ?? ''];
  for (const v of Object.values(req.headers ?? {})) {
    hay.push(v);
    const basic = /^Basic\s+(\S+)$/i.exec(v);
    if (basic?.[1]) hay.push(Buffer.from(basic[1], 'base64').toString('utf8'));
  }
  return hay.some((h) => forms.some((f) => h.includes(f)));
}

/** Builds the ProviderContext a module gets: base URLs are data, overridable per provider. */
export function createContextFactory({
  http,
  providerUrls,
  providerHosts = {},
  now,
  onAppSecretSent,
}: ContextFactoryDeps) {
  return (module: ProviderModule, oauthApp?: OAuthAppSecrets): ProviderContext => {
    const override = providerUrls[module.provider];
    // The tenant host this context was asked for: where a request meant to go when the
    // operator's override (CREDVAULT_PROVIDER_URL_<P>) replaces every host.
    let tenant: string | undefined;
    const app = oauthApp?.app;
    const watched: OutboundHttp =
      oauthApp && app && onAppSecretSent
        ? {
            async request(req) {
              if (carriesSecret(req, oauthApp.clientSecret)) {
                const host = override && tenant ? tenant : new URL(req.url).hostname;
                await onAppSecretSent(app, host);
              }
              return http.request(req);
            },
          }
        : http;
    return {
      http: watched,
      now,
      baseUrl: (name = 'default') => override ?? module.baseUrls[name] ?? module.baseUrls.default,
      // Tenant hosts were validated against the provider's allowed pattern at import.
      tenantUrl: (host) => {
        tenant = host;
        return override ?? `https://${host}`;
      },
      extraHosts: providerHosts[module.provider] ?? [],
      ...(oauthApp ? { oauthApp } : {}),
    };
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;
