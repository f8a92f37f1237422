import { FIXTURES } from '../providers/fixtures.js';
import { tenantHostOf } from '../../src/oauth-apps/hosts.js';
import { KIND_SPECS } from '../../src/providers/registry.js';
import type { Kind, Provider } from '../../src/providers/registry.js';
import type { KindSpec } from '../../src/providers/types.js';
import type { Client } from './harness.js';

/** Creates an OAuth app of the provider in the client's account; returns its id. */
export async function createOAuthApp(
  c: Client,
  provider: Provider,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
    name: `${provider} app`,
    provider,
    client_id: `client-${provider}`,
    client_secret: `client-secret-${provider}`,
    ...extra,
  });
  if (res.status !== 200) throw new Error(`OAuth app creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/**
 * A valid import body for a kind, with an OAuth app of its provider when the kind needs one; the
 * app names the credential's tenant host when the kind binds apps to hosts (issue 13 item 1).
 */
export async function importBody(c: Client, kind: Kind, props: Record<string, unknown> = FIXTURES[kind].valid) {
  const spec: KindSpec = KIND_SPECS[kind];
  const body: Record<string, unknown> = { properties: { kind, ...props } };
  const tenant = spec.tenantHost?.appBound ? tenantHostOf(spec, props) : undefined;
  if (spec.oauthApp === 'required')
    body.oauth_app_id = await createOAuthApp(c, spec.provider, tenant ? { settings: { hosts: tenant.host } } : {});
  return body;
}
