/**
 * Builds a ProviderContext that routes every base URL and tenant host to a fake provider.
 * The tenant hosts a module asked for are recorded, so tests can check them.
 */
import type { OAuthAppSecrets, ProviderContext } from '../../src/providers/module.js';
import { fetchHttp, type RecordingHttp } from './http.js';
import { MARKER } from './state.js';
import type { FakeProvider } from './server.js';

export interface Harness {
  ctx: ProviderContext;
  http: RecordingHttp;
  /** Hosts passed to ctx.tenantUrl(), in order. */
  tenantHosts: string[];
  /** Names passed to ctx.baseUrl() ('default' when none). */
  baseNames: string[];
}

export interface HarnessOptions {
  oauthApp?: OAuthAppSecrets;
  timeoutMs?: number;
  now?: () => Date;
  /** CREDVAULT_PROVIDER_HOSTS_<P> of the provider. */
  extraHosts?: readonly string[];
}

export function contextFor(fake: FakeProvider, opts: HarnessOptions = {}): Harness {
  const http = fetchHttp({ timeoutMs: opts.timeoutMs ?? 2000 });
  const tenantHosts: string[] = [];
  const baseNames: string[] = [];
  const ctx: ProviderContext = {
    http,
    baseUrl: (name?: string) => {
      baseNames.push(name ?? 'default');
      return fake.url;
    },
    tenantUrl: (host: string) => {
      tenantHosts.push(host);
      return fake.url;
    },
    now: opts.now ?? (() => new Date()),
    extraHosts: opts.extraHosts ?? [],
    ...(opts.oauthApp === undefined ? {} : { oauthApp: opts.oauthApp }),
  };
  return { ctx, http, tenantHosts, baseNames };
}

/** An OAuth app registered with the fake (its client secret carries the marker). */
export function registerApp(fake: FakeProvider, settings: Record<string, unknown> = {}): OAuthAppSecrets {
  const app = { clientId: `client-${fake.provider}`, clientSecret: `${MARKER}-app-secret`, settings };
  fake.state.addClient(app.clientId, app.clientSecret);
  return app;
}
