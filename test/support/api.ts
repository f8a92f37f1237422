import { FIXTURES } from '../providers/fixtures.js';
import { KIND_SPECS } from '../../src/providers/registry.js';
import type { Kind, Provider } from '../../src/providers/registry.js';
import type { Client } from './harness.js';

/** Creates an OAuth app of the provider in the client's account; returns its id. */
export async function createOAuthApp(c: Client, provider: Provider, extra: Record<string, unknown> = {}): Promise<string> {
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

/** A valid import body for a kind, with an OAuth app of its provider when the kind needs one. */
export async function importBody(c: Client, kind: Kind, props: Record<string, unknown> = FIXTURES[kind].valid) {
  const spec = KIND_SPECS[kind];
  const body: Record<string, unknown> = { properties: { kind, ...props } };
  if (spec.oauthApp === 'required') body.oauth_app_id = await createOAuthApp(c, spec.provider);
  return body;
}
