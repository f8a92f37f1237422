/**
 * The token path (docs/architecture.md, "The token path"): an access-token request opens the
 * credential's secrets once, a fresh token costs one decryption (its own; none when the same
 * envelope was opened in the last seconds: crypto/recent-opened.ts), and the injected
 * clock, never the machine's, decides whether a token has expired. Both storages.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SecretPlace } from '../../src/crypto/places.js';
import type { Clock } from '../../src/lib/clock.js';
import type { FakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Fakes, startFakes } from '../health/support.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

/** Every decryption of a credential secret, by the envelope opened. */
const opened = vi.hoisted(() => ({ envelopes: [] as string[] }));
vi.mock('../../src/crypto/envelope.js', async (original) => {
  const real = await original<typeof import('../../src/crypto/envelope.js')>();
  return {
    ...real,
    decryptSecret: (keyring: Parameters<typeof real.decryptSecret>[0], envelope: string, place: SecretPlace) => {
      if (place.table === 'credentials') opened.envelopes.push(envelope);
      return real.decryptSecret(keyring, envelope, place);
    },
  };
});

type Token = { access_token: string; expires_at: string | null };

describe.each(STORE_KINDS)('the token path on %s', (store) => {
  let fakes: Fakes;
  let hub: FakeProvider;
  let h: Harness;
  let c: Client;
  /** The injected clock: the tests set it far from the real time. */
  let now = new Date('2031-03-01T12:00:00.000Z');
  const clock: Clock = { now: () => new Date(now) };
  let appId: string;
  let n = 0;

  beforeAll(async () => {
    fakes = await startFakes();
    hub = fakes.byProvider.hubspot;
    hub.state.addClient('client-hub-tokens', 'hub-tokens-secret');
    h = await startHarness(store, { ...fakes.env, CREDVAULT_REFRESH_MARGIN_SECONDS: '600' }, { clock });
    c = await h.newAccount();
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'hub',
      provider: 'hubspot',
      client_id: 'client-hub-tokens',
      client_secret: 'hub-tokens-secret',
    });
    appId = app.body.id;
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });
  beforeEach(() => {
    now = new Date('2031-03-01T12:00:00.000Z');
  });

  /** A HubSpot credential whose stored access token expires at `expiresAt`. */
  async function hubspot(expiresAt: string): Promise<{ id: string; access: string }> {
    n += 1;
    const access = `${MARKER}-tp-at-${n}`;
    const refresh = `${MARKER}-tp-rt-${n}`;
    hub.state.addAccessToken(access, { hub_id: 9000 + n, scopes: [] });
    hub.state.addRefreshToken(refresh, { hub_id: 9000 + n, scopes: [] });
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: appId,
      properties: {
        kind: 'hubspot_oauth2',
        hub_id: 9000 + n,
        refresh_token: refresh,
        access_token: access,
        scopes: [],
        expires_at: expiresAt,
      },
    });
    expect(cred.status).toBe(200);
    return { id: cred.body.id, access };
  }

  /** Answers the access-token request and the credential decryptions it made. */
  async function accessToken(id: string) {
    opened.envelopes.length = 0;
    const res = await c.json<Token>('POST', `/v1/credentials/${id}/access-token`);
    return { res, decryptions: [...opened.envelopes] };
  }

  it('an API key: one decryption, then none while the same envelope was opened in the last seconds', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: `SG.${MARKER}-token-path` },
    });
    for (let i = 0; i < 3; i++) {
      const { res, decryptions } = await accessToken(cred.body.id);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBe(`SG.${MARKER}-token-path`);
      // The first request decrypts; the next ones are answered from crypto/recent-opened.ts.
      expect(decryptions).toHaveLength(i === 0 ? 1 : 0);
    }
  });

  it('a fresh OAuth token: one decryption (the token, not the refresh token), no provider call', async () => {
    const { id, access } = await hubspot('2031-03-01T14:00:00Z');
    const calls = hub.calls.count('token');
    const { res, decryptions } = await accessToken(id);
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBe(access);
    expect(decryptions).toHaveLength(1);
    expect(hub.calls.count('token')).toBe(calls);
  });

  it('an expired OAuth token: renewed with each secret opened once, the new token answered without opening it', async () => {
    const { id, access } = await hubspot('2031-03-01T11:00:00Z');
    const calls = hub.calls.count('token');
    const { res, decryptions } = await accessToken(id);
    expect(res.status).toBe(200);
    expect(res.body.access_token).not.toBe(access);
    expect(hub.state.accessTokens.has(res.body.access_token)).toBe(true);
    expect(hub.calls.count('token') - calls).toBe(1);
    // access_token and refresh_token, each once; the renewed token is not decrypted back.
    expect(decryptions).toHaveLength(2);
    expect(new Set(decryptions).size).toBe(2);
    // Asked again: fresh now, one decryption.
    const again = await accessToken(id);
    expect(again.res.body.access_token).toBe(res.body.access_token);
    expect(again.decryptions).toHaveLength(1);
  });

  it('the injected clock decides expiry: a token valid by the real time is renewed when the clock says it expired', async () => {
    // Expired in 2031 (the injected clock), years ahead of the machine's time.
    const { id, access } = await hubspot('2030-06-01T00:00:00Z');
    expect(new Date('2030-06-01T00:00:00Z').getTime()).toBeGreaterThan(Date.now());
    const calls = hub.calls.count('token');
    const { res } = await accessToken(id);
    expect(res.status).toBe(200);
    expect(res.body.access_token).not.toBe(access);
    expect(hub.calls.count('token') - calls).toBe(1);
    // The new expiry counts from the injected clock: the fake's token lives 1800 s.
    expect(res.body.expires_at).toBe(new Date(now.getTime() + 1800 * 1000).toISOString());
  });

  it('the injected clock decides expiry: a token expired by the real time is answered as is while the clock says it is valid', async () => {
    const { id, access } = await hubspot('2020-01-01T00:00:00Z');
    now = new Date('2019-12-31T22:00:00.000Z');
    const calls = hub.calls.count('token');
    const { res } = await accessToken(id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ access_token: access, expires_at: '2020-01-01T00:00:00.000Z' });
    expect(hub.calls.count('token')).toBe(calls);
    // Within the refresh margin (600 s) of that expiry by the clock: renewed.
    now = new Date('2019-12-31T23:55:00.000Z');
    const due = await accessToken(id);
    expect(due.res.body.access_token).not.toBe(access);
    expect(hub.calls.count('token') - calls).toBe(1);
  });
});
