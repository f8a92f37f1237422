import type { OutboundHttp } from '../net/types.js';
import type { OAuthAppSecrets, ProviderContext, ProviderModule } from '../providers/module.js';

export interface ContextFactoryDeps {
  http: OutboundHttp;
  /** CREDVAULT_PROVIDER_URL_<PROVIDER>: replaces every host of that provider (tests, proxies). */
  providerUrls: Partial<Record<string, string>>;
  /** CREDVAULT_PROVIDER_HOSTS_<PROVIDER>: extra host suffixes allowed for tenant hosts. */
  providerHosts?: Partial<Record<string, readonly string[]>>;
  now: () => Date;
}

/** Builds the ProviderContext a module gets: base URLs are data, overridable per provider. */
export function createContextFactory({ http, providerUrls, providerHosts = {}, now }: ContextFactoryDeps) {
  return (module: ProviderModule, oauthApp?: OAuthAppSecrets): ProviderContext => {
    const override = providerUrls[module.provider];
    return {
      http,
      now,
      baseUrl: (name = 'default') => override ?? module.baseUrls[name] ?? module.baseUrls.default,
      // Tenant hosts were validated against the provider's allowed pattern at import.
      tenantUrl: (host) => override ?? `https://${host}`,
      extraHosts: providerHosts[module.provider] ?? [],
      ...(oauthApp ? { oauthApp } : {}),
    };
  };
}

export type ContextFactory = ReturnType<typeof createContextFactory>;
