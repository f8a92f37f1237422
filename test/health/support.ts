import { tenantHostOf } from '../../src/oauth-apps/hosts.js';
import { KIND_SPECS } from '../../src/providers/registry.js';
import { PROVIDERS, type Provider } from '../../src/providers/registry.js';
import type { KindSpec } from '../../src/providers/types.js';
import type { Setup } from '../providers/api/case-types.js';
import type { ProviderCase } from '../providers/api/case-types.js';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import type { Client } from '../support/harness.js';

export interface Fakes {
  byProvider: Record<Provider, FakeProvider>;
  /** CREDVAULT_PROVIDER_URL_<P> for every fake. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** One fake per provider on 127.0.0.1, and the environment pointing credvault at them. */
export async function startFakes(): Promise<Fakes> {
  const entries = await Promise.all(PROVIDERS.map(async (p) => [p, await startFakeProvider(p)] as const));
  const byProvider = Object.fromEntries(entries) as Record<Provider, FakeProvider>;
  const env: Record<string, string> = {};
  for (const [p, f] of entries) env[`CREDVAULT_PROVIDER_URL_${p.toUpperCase()}`] = f.url;
  return { byProvider, env, close: async () => void (await Promise.all(entries.map(([, f]) => f.close()))) };
}

/** Imports a seeded case through the API, with an OAuth app matching the fake's registration. */
export async function importCase(
  c: Client,
  pc: ProviderCase,
  setup: Setup,
  extraProps: Record<string, unknown> = {},
): Promise<string> {
  const spec: KindSpec = KIND_SPECS[pc.kind];
  let oauthAppId: string | undefined;
  if (setup.oauthApp || spec.oauthApp === 'required') {
    // A per-instance kind's app names the host its secret goes to (issue 13 item 1).
    const tenant = spec.tenantHost?.appBound ? tenantHostOf(spec, { ...setup.props, ...extraProps }) : undefined;
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: `${pc.provider} app`,
      provider: pc.provider,
      client_id: setup.oauthApp?.clientId ?? `client-${pc.provider}`,
      client_secret: setup.oauthApp?.clientSecret ?? 'unused-client-secret',
      settings: { ...(setup.oauthApp?.settings ?? {}), ...(tenant ? { hosts: tenant.host } : {}) },
    });
    if (app.status !== 200) throw new Error(`OAuth app: ${app.status} ${JSON.stringify(app.body)}`);
    oauthAppId = app.body.id;
  }
  const res = await c.json<{ id: string }>('POST', '/v1/credentials', {
    properties: { kind: pc.kind, ...setup.props, ...extraProps },
    ...(oauthAppId ? { oauth_app_id: oauthAppId } : {}),
  });
  if (res.status !== 200) throw new Error(`import ${pc.kind}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}
