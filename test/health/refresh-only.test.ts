/**
 * A credential imported with only a refresh token (issue 13 item 10): the common shape of an
 * export from another system. It is never marked broken without asking the provider: import
 * identification and checks refresh first (the rotated refresh token is stored), then identify;
 * 50 concurrent access-token calls on a fresh import make one refresh and all succeed. Every kind
 * that refreshes with a refresh_token, against its fake. Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_CASES } from '../providers/api/cases-b.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from './support.js';

type Cred = {
  id: string;
  identity?: string;
  properties: Record<string, unknown>;
  health: { status: string; reason: string | null; notes: string[] };
};

const REFRESHABLE = REFRESH_CASES.filter((c) => c.refreshField === 'refresh_token');
/** Per-instance providers name the hosts their app may send its secret to. */
const APP_HOSTS: Record<string, string> = {
  servicenow: 'acme.service-now.com',
  workday: 'wd2-impl-services1.workday.com',
};

describe.each(STORE_KINDS)('refresh-token-only imports on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  beforeAll(async () => {
    fakes = await startFakes();
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_IMPORT_IDENTIFY: 'true',
      CREDVAULT_PROVIDER_TIMEOUT_MS: '3000',
      CREDVAULT_IMPORT_IDENTIFY_TIMEOUT_MS: '3000',
    });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  /** The seeded case with its access token, expiry and learned account fields removed. */
  async function refreshOnly(c: Client, name: string) {
    const rc = REFRESHABLE.find((x) => x.name === name);
    if (!rc) throw new Error(name);
    const fake = fakes.byProvider[rc.provider];
    fake.state.rotate = true;
    // The seeds use fixed token names: the earlier test of this kind used (rotated away) this one.
    fake.state.usedRefreshTokens.clear();
    const setup = rc.seed(fake);
    const learned = CASES.find((x) => x.kind === rc.kind)?.learned ?? {};
    const props: Record<string, unknown> = { kind: rc.kind, ...setup.props };
    for (const k of ['access_token', 'expires_at', 'expires_in', ...Object.keys(learned)]) delete props[k];
    expect(typeof props.refresh_token).toBe('string');
    const app = setup.oauthApp;
    if (!app) throw new Error(`${name} has no app`);
    const hosts = APP_HOSTS[rc.provider];
    const appRes = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: `${name} app`,
      provider: rc.provider,
      client_id: app.clientId,
      client_secret: app.clientSecret,
      settings: { ...app.settings, ...(hosts ? { hosts } : {}) },
    });
    expect(appRes.status).toBe(200);
    return { rc, fake, props, appId: appRes.body.id, before: fake.calls.count(rc.route) };
  }

  it.each(REFRESHABLE.map((c) => c.name))(
    '%s: a single import asks the provider; 50 concurrent access-token calls make one refresh',
    async (name) => {
      const c = await h.newAccount();
      const { rc, fake, props, appId, before } = await refreshOnly(c, name);
      const imported = await c.json<Cred>('POST', '/v1/credentials', { oauth_app_id: appId, properties: props });
      expect(imported.status).toBe(200);
      expect(imported.body.health.status).not.toBe('error');
      const calls = await Promise.all(
        Array.from({ length: 50 }, () =>
          c.json<{ access_token: string }>('POST', `/v1/credentials/${imported.body.id}/access-token`),
        ),
      );
      expect(calls.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
      expect(new Set(calls.map((r) => r.body.access_token)).size).toBe(1);
      expect(fake.calls.count(rc.route) - before).toBe(1);
      const checked = await c.json<Cred>('POST', `/v1/credentials/${imported.body.id}/check`);
      expect(checked.status).toBe(200);
      expect(checked.body.health.status).toBe('ok');
      // The check used the refreshed token: no second refresh, and the rotated refresh token was kept.
      expect(fake.calls.count(rc.route) - before).toBe(1);
    },
  );

  it.each(REFRESHABLE.map((c) => c.name))(
    '%s: a bulk import (no identification) is refreshed, then identified, by its first check',
    async (name) => {
      const c = await h.newAccount();
      const { rc, fake, props, appId, before } = await refreshOnly(c, name);
      const bulk = await c.json<{ results: Array<{ status: number; credential?: Cred; error?: unknown }> }>(
        'POST',
        '/v1/credentials/bulk',
        { items: [{ oauth_app_id: appId, properties: props }] },
      );
      expect(bulk.status).toBe(200);
      expect(bulk.body.results[0]).toMatchObject({ status: 200, credential: { health: { status: 'pending' } } });
      const id = bulk.body.results[0]?.credential?.id ?? '';
      const checked = await c.json<Cred>('POST', `/v1/credentials/${id}/check`);
      expect(checked.body.health).toMatchObject({ status: 'ok' });
      expect(fake.calls.count(rc.route) - before).toBe(1);
      // A second check finds a fresh token: the rotated refresh token was stored, nothing is refreshed again.
      const again = await c.json<Cred>('POST', `/v1/credentials/${id}/check`);
      expect(again.body.health.status).toBe('ok');
      expect(fake.calls.count(rc.route) - before).toBe(1);
      const token = await c.json<{ access_token: string }>('POST', `/v1/credentials/${id}/access-token`);
      expect(token.status).toBe(200);
    },
  );
});
