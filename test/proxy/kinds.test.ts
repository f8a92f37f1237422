/**
 * Every kind through the proxy against its fake provider: the right auth header, signature or
 * query, the caller's Authorization/Cookie/forwarding headers never forwarded; and the base
 * URL of every kind without overrides (the proxy spec's table).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_MODULES } from '../../src/providers/api/index.js';
import { KINDS, kindSpec } from '../../src/providers/registry.js';
import { resolveProxyBase } from '../../src/proxy/service.js';
import type { RecordedRequest } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Fakes, importCase, startFakes } from '../health/support.js';
import { CASES, REFRESH_CASES } from '../providers/api/cases-b.js';
import type { ProviderCase } from '../providers/api/case-types.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const stripeConnect = REFRESH_CASES.find((c) => c.kind === 'stripe_oauth2');
const CONNECT_CASE = {
  ...CASES.find((c) => c.kind === 'stripe_key'),
  kind: 'stripe_oauth2',
  seed: stripeConnect?.seed,
} as ProviderCase;

describe('proxy base URLs, per kind, without overrides', () => {
  const props: Record<string, Record<string, unknown>> = {
    salesforce_oauth2: { instance_url: 'https://acme.my.salesforce.com' },
    servicenow_oauth2: { instance_url: 'https://acme.service-now.com' },
    shopify_oauth2: { shop: 'acme.myshopify.com' },
    quickbooks_oauth2: { environment: 'sandbox' },
    netsuite_tba: { account_id: '1234567_SB1' },
    marketo_client_credentials: { munchkin_id: '123-ABC-456' },
    workday_oauth2: { host: 'wd2-impl-services1.workday.com' },
    auth0_client_credentials: { domain: 'acme.us.auth0.com' },
  };
  const expected: Record<string, string> = {
    stripe_key: 'https://api.stripe.com',
    stripe_oauth2: 'https://api.stripe.com',
    salesforce_oauth2: 'https://acme.my.salesforce.com',
    hubspot_oauth2: 'https://api.hubapi.com',
    github_app: 'https://api.github.com',
    airtable_oauth2: 'https://api.airtable.com',
    linear_oauth2: 'https://api.linear.app',
    checkout_champ_password: 'https://api.checkoutchamp.com',
    shopify_oauth2: 'https://acme.myshopify.com',
    quickbooks_oauth2: 'https://sandbox-quickbooks.api.intuit.com',
    netsuite_tba: 'https://1234567-sb1.suitetalk.api.netsuite.com',
    marketo_client_credentials: 'https://123-abc-456.mktorest.com',
    sendgrid_key: 'https://api.sendgrid.com',
    servicenow_oauth2: 'https://acme.service-now.com',
    workday_oauth2: 'https://wd2-impl-services1.workday.com',
    auth0_client_credentials: 'https://acme.us.auth0.com',
  };
  it.each([...KINDS])('%s', (kind) => {
    const provider = KIND_PROVIDER[kind];
    expect(
      resolveProxyBase(kindSpec(kind).proxy, props[kind] ?? {}, undefined, PROVIDER_MODULES[provider].baseUrls),
    ).toBe(expected[kind]);
    expect(
      resolveProxyBase(
        kindSpec(kind).proxy,
        props[kind] ?? {},
        'http://127.0.0.1:9',
        PROVIDER_MODULES[provider].baseUrls,
      ),
    ).toBe('http://127.0.0.1:9');
  });
  it('QuickBooks production goes to the production host', () => {
    expect(
      resolveProxyBase(
        kindSpec('quickbooks_oauth2').proxy,
        { environment: 'production' },
        undefined,
        PROVIDER_MODULES.quickbooks.baseUrls,
      ),
    ).toBe('https://quickbooks.api.intuit.com');
  });
});

import { KIND_SPECS } from '../../src/providers/registry.js';
const KIND_PROVIDER = Object.fromEntries(KINDS.map((k) => [k, KIND_SPECS[k].provider])) as Record<
  (typeof KINDS)[number],
  keyof typeof PROVIDER_MODULES
>;

describe.each(STORE_KINDS)('every kind through the proxy against its fake on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    // The Auth0 case uses a custom domain (login.acme.example): the operator allows it (issue 13 item 1).
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '3000',
      CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example',
    });
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  const probe = (calls: RecordedRequest[], kind: string) => calls.filter((r) => r.url.includes(`proxy-probe-${kind}`));

  it.each([...CASES.filter((x) => x.kind !== 'netsuite_tba'), CONNECT_CASE].map((x) => [x.kind, x] as const))(
    "%s: the fake sees the kind's authentication and none of the caller's",
    async (kind, pc) => {
      const fake = fakes.byProvider[pc.provider];
      const setup = pc.seed(fake);
      const id = await importCase(c, pc, setup);
      const res = await c.req('GET', `/v1/proxy/credential/${id}/proxy-probe-${kind}/items?limit=2`, undefined, {
        cookie: 'session=caller',
        'x-forwarded-for': '10.0.0.1',
        'x-credvault-debug': '1',
        accept: 'application/json',
      });
      // The fakes answer unknown paths 404 in their own shape: the provider's answer, passed through.
      expect(res.headers['x-credvault-proxy-error']).toBeUndefined();
      const [seen] = probe(fake.calls.requests, kind);
      expect(seen).toBeDefined();
      if (!seen) return;
      const headerText = JSON.stringify(seen.headers);
      expect(headerText).not.toContain(c.token);
      expect(seen.headers.cookie).toBeUndefined();
      expect(seen.headers['x-forwarded-for']).toBeUndefined();
      expect(seen.headers['x-credvault-debug']).toBeUndefined();
      expect(seen.headers.accept).toBe('application/json');
      expect(new URL(seen.url).pathname).toBe(`/proxy-probe-${kind}/items`);
      expect(new URL(seen.url).searchParams.get('limit')).toBe('2');
      const bearer = /^Bearer (.+)$/.exec(String(seen.headers.authorization ?? ''))?.[1];
      if (kind === 'checkout_champ_password') {
        const q = new URL(seen.url).searchParams;
        expect(fake.state.clients.get(q.get('loginId') ?? '')).toBe(q.get('password'));
        expect(seen.headers.authorization).toBeUndefined();
      } else if (kind === 'shopify_oauth2') {
        expect(fake.state.accessTokens.has(String(seen.headers['x-shopify-access-token']))).toBe(true);
        expect(seen.headers.authorization).toBeUndefined();
      } else if (kind === 'stripe_oauth2') {
        expect(bearer).toBe(setup.oauthApp?.clientSecret);
        expect(seen.headers['stripe-account']).toBe('acct_1Connected000000');
      } else {
        // A key, or a token the fake issued (refreshed or minted through the token path).
        expect(bearer !== undefined && fake.state.accessTokens.has(bearer)).toBe(true);
      }
    },
  );

  it('netsuite_tba: the fake verifies the OAuth 1.0a HMAC-SHA256 signature and realm with its own implementation', async () => {
    const pc = CASES.find((x) => x.kind === 'netsuite_tba');
    if (!pc) throw new Error('no NetSuite case');
    const fake = fakes.byProvider.netsuite;
    const id = await importCase(c, pc, pc.seed(fake));
    const ok = await c.req(
      'GET',
      `/v1/proxy/credential/${id}/services/rest/record/v1/metadata-catalog?select=customer`,
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ items: [{ name: 'customer' }] });
    const last = fake.calls.requests.at(-1);
    expect(String(last?.headers.authorization)).toMatch(/^OAuth realm="/);
    // The fake signs the query too: another select value is still accepted (signed anew).
    const other = await c.req(
      'GET',
      `/v1/proxy/credential/${id}/services/rest/record/v1/metadata-catalog?select=vendor`,
    );
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ items: [{ name: 'vendor' }] });
  });

  it('no secret marker reaches the logs or the audit log', async () => {
    await h.rt.usage.flush();
    expect(h.logs.join('\n')).not.toContain(MARKER);
    const audit = await c.json<{ data: Array<{ action: string; detail: Record<string, unknown> }> }>(
      'GET',
      '/v1/audit-events?limit=500',
    );
    expect(JSON.stringify(audit.body)).not.toContain(MARKER);
    const used = audit.body.data.filter((e) => e.action === 'credential.proxy_used');
    expect(used.length).toBeGreaterThan(10);
    expect(used.every((e) => typeof e.detail.calls === 'number' && e.detail.calls >= 1)).toBe(true);
  });
});
