/** The shared mapping of src/providers/api/common.ts, the registry, and smaller quirks. */
import { afterEach, describe, expect, it } from 'vitest';
import type { OutboundHttp, OutboundResponse } from '../../../src/net/types.js';
import { createContextFactory } from '../../../src/health/context.js';
import { PROVIDER_MODULES } from '../../../src/providers/api/index.js';
import { oauth1Header, oauthEncode } from '../../../src/providers/api/netsuite.js';
import { httpFailure, retryAfterSeconds, send, type Wording } from '../../../src/providers/api/common.js';
import { PROVIDERS } from '../../../src/providers/registry.js';
import { contextFor } from '../../fakes/harness.js';
import { startFakeProvider, type FakeProvider } from '../../fakes/server.js';
import { MARKER } from '../../fakes/state.js';
import { CASES } from './cases-b.js';
import { expectFailure, secret } from './case-types.js';

const W: Wording = {
  provider: 'Acme',
  credential: 'the key',
  reauth: 'Import a new key.',
  permissions: 'Grant access.',
};
const res = (status: number, headers: Record<string, string> = {}): OutboundResponse => ({ status, headers, body: '' });
const NOW = new Date('2026-05-01T12:00:00Z');

let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('PROVIDER_MODULES', () => {
  it('has one module per provider, filed under its own name, with https base URLs', () => {
    expect(Object.keys(PROVIDER_MODULES).sort()).toEqual([...PROVIDERS].sort());
    for (const p of PROVIDERS) {
      expect(PROVIDER_MODULES[p].provider).toBe(p);
      for (const url of Object.values(PROVIDER_MODULES[p].baseUrls)) expect(url).toMatch(/^https:\/\/[a-z0-9.-]+$/i);
    }
  });
});

describe('retryAfterSeconds', () => {
  it.each([
    [{ 'Retry-After': '12' }, 12],
    [{ 'retry-after': '2.0' }, 2],
    [{ 'retry-after': 'Fri, 01 May 2026 12:00:30 GMT' }, 30],
    [{ 'x-ratelimit-reset': String(NOW.getTime() / 1000 + 9) }, 9],
    [{}, undefined],
  ])('reads %j', (headers, expected) => {
    expect(retryAfterSeconds(res(429, headers), NOW, [{ name: 'x-ratelimit-reset', unit: 'epoch_s' }])).toBe(expected);
  });
});

describe('httpFailure', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [429, 'rate_limited'],
    [500, 'provider_error'],
    [503, 'provider_error'],
    [418, 'provider_error'],
  ])('maps HTTP %i to %s', (status, reason) => {
    expect(httpFailure(W, res(status), NOW)).toMatchObject({ ok: false, reason, status });
  });
});

describe('net failures from ctx.http', () => {
  it.each([
    ['timeout', 'timeout'],
    ['network_error', 'network_error'],
    ['blocked_host', 'blocked_host'],
    ['too_large', 'invalid_response'],
    ['redirect_refused', 'invalid_response'],
  ] as const)('maps %s to %s without echoing the message', async (netReason, reason) => {
    const http: OutboundHttp = {
      request: async () => ({ ok: false, reason: netReason, message: `boom ${MARKER} https://x/?secret` }),
    };
    const r = await send({ http, baseUrl: () => '', tenantUrl: () => '', extraHosts: [], now: () => NOW }, W, {
      method: 'GET',
      url: 'https://x',
    });
    const f = expectFailure(r);
    expect(f.reason).toBe(reason);
    expect(f.note).not.toContain(MARKER);
    expect(f.note).toContain('Acme');
  });

  it('maps a refused connection to network_error', async () => {
    fake = await startFakeProvider('sendgrid');
    const c = CASES.find((x) => x.provider === 'sendgrid');
    const setup = c?.seed(fake);
    const h = contextFor(fake);
    await fake.close();
    const f = expectFailure(
      await PROVIDER_MODULES.sendgrid.identify({ kind: 'sendgrid_key', properties: setup?.props ?? {} }, h.ctx),
    );
    expect(f.reason).toBe('network_error');
  });
});

describe('netsuite signature', () => {
  it('percent-encodes per RFC 5849 and signs deterministically', () => {
    expect(oauthEncode("a b!*'()~")).toBe('a%20b%21%2A%27%28%29~');
    const keys = { consumerKey: 'ck', consumerSecret: 'cs', token: 'tk', tokenSecret: 'ts', realm: '123_SB1' };
    const a = oauth1Header('GET', 'https://x.example/p?b=2&a=1', keys, 1700000000, 'nonce1234');
    expect(a).toBe(oauth1Header('GET', 'https://x.example/p?a=1&b=2', keys, 1700000000, 'nonce1234'));
    expect(a).not.toBe(oauth1Header('GET', 'https://x.example/p?a=1&b=3', keys, 1700000000, 'nonce1234'));
  });
});

describe('smaller quirks', () => {
  it('servicenow identify uses a caller-supplied access token without refreshing', async () => {
    fake = await startFakeProvider('servicenow');
    const c = CASES.find((x) => x.provider === 'servicenow');
    const setup = c?.seed(fake);
    const token = secret('fresh-access');
    fake.state.addAccessToken(token, { user_name: 'integration.user' });
    const h = contextFor(fake, setup?.oauthApp ? { oauthApp: setup.oauthApp } : {});
    const r = await PROVIDER_MODULES.servicenow.identify(
      { kind: 'servicenow_oauth2', properties: { ...setup?.props, access_token: token } },
      h.ctx,
    );
    expect(r).toMatchObject({ ok: true, learned: { username: 'integration.user' } });
    expect(fake.calls.count('token')).toBe(0);
  });

  it('hubspot identify introspects the refresh token when no access token is stored', async () => {
    fake = await startFakeProvider('hubspot');
    const setup = CASES.find((x) => x.provider === 'hubspot')?.seed(fake);
    const { access_token: _dropped, ...props } = setup?.props ?? {};
    const h = contextFor(fake, setup?.oauthApp ? { oauthApp: setup.oauthApp } : {});
    expect(await PROVIDER_MODULES.hubspot.identify({ kind: 'hubspot_oauth2', properties: props }, h.ctx)).toMatchObject(
      { ok: true, accountId: '62515' },
    );
    expect(fake.calls.count('token')).toBe(0);
  });

  it.each(['airtable', 'quickbooks', 'salesforce'] as const)(
    '%s identify without an access token asks for a refresh first',
    async (p) => {
      fake = await startFakeProvider(p);
      const c = CASES.find((x) => x.provider === p);
      const { access_token: _dropped, ...props } = c?.seed(fake).props ?? {};
      const f = expectFailure(
        await PROVIDER_MODULES[p].identify(
          { kind: c?.kind ?? 'airtable_oauth2', properties: props },
          contextFor(fake).ctx,
        ),
      );
      expect(f.reason).toBe('misconfigured');
      expect(fake.calls.count()).toBe(0);
    },
  );

  it('checkout champ treats "no campaigns found" as a working login', async () => {
    fake = await startFakeProvider('checkout_champ');
    const setup = CASES.find((x) => x.provider === 'checkout_champ')?.seed(fake);
    fake.state.records.set('empty:acme-api', {});
    const r = await PROVIDER_MODULES.checkout_champ.identify(
      { kind: 'checkout_champ_password', properties: setup?.props ?? {} },
      contextFor(fake).ctx,
    );
    expect(r).toMatchObject({ ok: true, accountId: 'acme-api' });
  });

  it('shopify maps a frozen shop (402) to forbidden', async () => {
    fake = await startFakeProvider('shopify');
    const setup = CASES.find((x) => x.provider === 'shopify')?.seed(fake);
    const info = fake.state.accessTokens.get(String(setup?.props.access_token));
    if (info) info.frozen = true;
    const f = expectFailure(
      await PROVIDER_MODULES.shopify.identify(
        { kind: 'shopify_oauth2', properties: setup?.props ?? {} },
        contextFor(fake).ctx,
      ),
    );
    expect(f).toMatchObject({ reason: 'forbidden', status: 402 });
  });

  it('linear refresh without a refresh token is misconfigured, not a network call', async () => {
    fake = await startFakeProvider('linear');
    const f = expectFailure(
      await (PROVIDER_MODULES.linear.refresh?.(
        { kind: 'linear_oauth2', properties: { access_token: secret('at'), scope: 'read' } },
        contextFor(fake).ctx,
      ) ?? Promise.reject(new Error('x'))),
    );
    expect(f.reason).toBe('misconfigured');
    expect(fake.calls.count()).toBe(0);
  });
});

describe('provider context factory', () => {
  it("gives each module its provider's operator host suffixes and URL override, nobody else's", () => {
    const http = { request: async () => ({ ok: false as const, reason: 'network_error' as const, message: 'unused' }) };
    const factory = createContextFactory({
      http,
      providerUrls: { shopify: 'http://127.0.0.1:9' },
      providerHosts: { salesforce: ['salesforce-gov.example'] },
      now: () => NOW,
    });
    const sf = factory(PROVIDER_MODULES.salesforce);
    expect(sf.extraHosts).toEqual(['salesforce-gov.example']);
    expect(sf.tenantUrl('acme.my.salesforce.com')).toBe('https://acme.my.salesforce.com');
    const shop = factory(PROVIDER_MODULES.shopify);
    expect(shop.extraHosts).toEqual([]);
    expect(shop.tenantUrl('acme.myshopify.com')).toBe('http://127.0.0.1:9');
  });
});

describe('provider display names', () => {
  it.each(CASES.map((c) => [c.provider, c.display] as const))(
    '%s is written %s, as its notes write it',
    (provider, display) => {
      expect(PROVIDER_MODULES[provider].displayName).toBe(display);
    },
  );
});
