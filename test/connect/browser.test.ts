/**
 * Connect in a real browser (docs: Connect, §5): start-auth → link → consent at a fake provider
 * → callback → the customer's redirect_url → exchange → the credential is stored, ok and masked;
 * a second run for the same provider account lands on the same credential.
 */
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kind, Provider } from '../../src/providers/registry.js';
import { MARKER } from '../fakes/state.js';
import type { Client } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import {
  GITHUB_KEY,
  type World,
  connectApp,
  consent,
  exchange,
  fake,
  launchBrowser,
  secretsOf,
  startAuth,
  startWorld,
} from './support.js';

const MASK = '***********';

let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => browser?.close());

interface Case {
  provider: Provider;
  kind: Kind;
  consent: Record<string, unknown>;
  properties?: Record<string, string>;
  settings?: Record<string, unknown>;
  secrets: string[];
  /** What the stored properties must show (the provider's account). */
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    provider: 'salesforce',
    kind: 'salesforce_oauth2',
    consent: {
      instance_url: 'https://acme.my.salesforce.com',
      org_id: '00D000000000001AAA',
      user_id: '005000000000001AAA',
    },
    secrets: ['refresh_token', 'access_token'],
    expect: { instance_url: 'https://acme.my.salesforce.com', org_id: '00D000000000001AAA' },
  },
  {
    provider: 'hubspot',
    kind: 'hubspot_oauth2',
    consent: {
      hub_id: 4242,
      user_id: 7,
      user: 'admin@acme.example',
      hub_domain: 'acme.hubspot.com',
      scopes: ['oauth', 'crm.objects.contacts.read'],
    },
    secrets: ['refresh_token', 'access_token'],
    expect: { hub_id: 4242, hub_domain: 'acme.hubspot.com' },
  },
  {
    provider: 'airtable',
    kind: 'airtable_oauth2',
    consent: { uid: 'usrCONNECT1', scope: 'data.records:read schema.bases:read' },
    secrets: ['refresh_token', 'access_token'],
    expect: { airtable_uid: 'usrCONNECT1' },
  },
  {
    provider: 'shopify',
    kind: 'shopify_oauth2',
    consent: { shop: 'acme.myshopify.com', shop_id: 777, scope: 'read_products' },
    properties: { shop: 'acme.myshopify.com' },
    secrets: ['access_token'],
    expect: { shop: 'acme.myshopify.com' },
  },
  {
    provider: 'quickbooks',
    kind: 'quickbooks_oauth2',
    consent: { realm_id: '9130350000000001', company: 'Acme' },
    secrets: ['refresh_token', 'access_token'],
    expect: { realm_id: '9130350000000001', environment: 'production' },
  },
  {
    provider: 'github',
    kind: 'github_app',
    consent: { installation_id: '5551', login: 'acme', account_id: '99', type: 'Organization' },
    settings: { app_id: '12345', private_key: GITHUB_KEY.pem, slug: 'credvault-test' },
    secrets: [],
    expect: { installation_id: 5551, account_login: 'acme' },
  },
];

describe.each(STORE_KINDS)('Connect in a browser on %s', (store) => {
  let w: World;
  let ctx: BrowserContext;
  let c: Client;
  const forbidden = new Set<string>();
  beforeAll(async () => {
    w = await startWorld(store);
    c = await w.h.newAccount();
    ctx = await browser.browser.newContext();
  });
  afterAll(async () => {
    await ctx?.close();
    await w?.close();
  });

  it.each(CASES)('$provider: consent, store, exchange, masked round trip, same id on a second run', async (k) => {
    const appId = await connectApp(w, c, k.provider, k.settings ?? {});
    fake(w, k.provider).state.records.set('consent', k.consent);
    const ids: string[] = [];
    for (const run of [1, 2]) {
      const startUrl = await startAuth(c, {
        oauth_app_id: appId,
        credential_kind: k.kind,
        redirect_url: w.doneUrl,
        state: { run, user: 'u-1' },
        name: `${k.provider} via connect`,
        metadata: { tenant: 't1' },
        ...(k.properties ? { properties: k.properties } : {}),
      });
      forbidden.add(new URL(startUrl).pathname.split('/').pop() ?? '');
      const pages: string[] = [];
      const final = await consent(ctx, w, startUrl, 'Allow', pages);
      const code = final.searchParams.get('code') ?? '';
      expect(final.searchParams.get('error'), final.toString()).toBeNull();
      expect(code).toMatch(/^cvx_/);
      for (const s of secretsOf(w, k.provider)) {
        forbidden.add(s);
        expect(final.toString()).not.toContain(s);
        for (const html of pages) expect(html).not.toContain(s);
      }
      if (k.provider !== 'github') {
        const authorize = fake(w, k.provider).state.records.get('last_authorize') ?? {};
        expect(authorize.redirect_uri).toBe(`${w.publicUrl}/link/oauth2/callback/${k.provider}`);
        // PKCE where the provider takes it: Salesforce and Airtable (which the fake makes mandatory).
        expect(authorize.code_challenge_method).toBe(
          ['salesforce', 'airtable'].includes(k.provider) ? 'S256' : undefined,
        );
      }
      const ex = await exchange(w, code, appId);
      expect(ex.status).toBe(200);
      forbidden.add(code);
      expect(ex.body.state).toEqual({ run, user: 'u-1' });
      expect(ex.body.credential.oauth_app_id).toBe(appId);
      expect(ex.body.credential.properties).toMatchObject({ kind: k.kind, ...k.expect });
      for (const f of k.secrets) expect(ex.body.credential.properties[f]).toBe(MASK);
      expect(JSON.stringify(ex.body)).not.toContain(MARKER);
      expect((await exchange(w, code, appId)).status).toBe(404);
      ids.push(ex.body.credential_id);

      const got = await c.json<{ health: { status: string }; name: string; metadata: unknown }>(
        'GET',
        `/v1/credentials/${ex.body.credential_id}`,
      );
      expect(got.body.health.status).toBe('ok');
      expect(got.body.name).toBe(`${k.provider} via connect`);
      expect(got.body.metadata).toEqual({ tenant: 't1' });
      // A Sequin client passes `credential` to import as is: same credential, masked secrets kept, still ok.
      const again = await c.json<{ id: string; health: { status: string } }>(
        'POST',
        '/v1/credentials',
        ex.body.credential,
      );
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(ex.body.credential_id);
      expect(again.body.health.status).toBe('ok');
    }
    expect(ids[1]).toBe(ids[0]);
    const sessions = await c.json<{
      data: Array<{ id: string; status: string; credential_id: string | null; credential_kind: string }>;
    }>('GET', '/v1/connect-sessions?status=completed');
    const mine = sessions.body.data.filter((s) => s.credential_kind === k.kind);
    expect(mine.map((s) => s.credential_id)).toEqual([ids[0], ids[0]]);
    // Each completed flow wrote credential.connected (docs/events.md) with its session id, masked.
    const connected = (
      await c.json<{ data: Array<{ data: Record<string, unknown> }> }>(
        'GET',
        '/v1/events?type=credential.connected&limit=500',
      )
    ).body.data.filter((e) => e.data.id === ids[0]);
    expect(connected.map((e) => e.data.connect_session_id).sort()).toEqual(mine.map((s) => s.id).sort());
    for (const e of connected) {
      expect(e.data.properties).toMatchObject({ kind: k.kind, ...k.expect });
      for (const f of k.secrets) expect((e.data.properties as Record<string, unknown>)[f]).toBe(MASK);
    }
  });

  it("a key kind through credvault's own form: a refused key is never shown again, a good one is stored ok", async () => {
    const stripe = fake(w, 'stripe');
    const good = `sk_test_${MARKER}good`;
    const bad = `sk_test_${MARKER}bad`;
    stripe.state.addAccessToken(good, { account_id: 'acct_connect1' });
    const startUrl = await startAuth(c, { credential_kind: 'stripe_key', redirect_url: w.doneUrl, state: 'form' });
    const page = await ctx.newPage();
    await page.goto(startUrl);
    const first = await page.content();
    expect(first).toContain('type="password"');
    await page.fill('input[name="secret"]', bad);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForSelector('#error');
    const refused = await page.content();
    expect(refused).toContain('Stripe refused these credentials');
    expect(refused).not.toContain(MARKER);
    await page.fill('input[name="secret"]', good);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL((u) => u.toString().startsWith(w.doneUrl));
    const final = new URL(page.url());
    await page.close();
    expect(final.toString()).not.toContain(MARKER);
    const code = final.searchParams.get('code') ?? '';
    forbidden.add(code);
    // No OAuth app: the exchange takes an API token of the account instead.
    const ex = await w.h.rt.app.inject({
      method: 'POST',
      url: '/link/oauth2/token',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${c.token}` },
      payload: JSON.stringify({ code }),
    });
    expect(ex.statusCode).toBe(200);
    const body = ex.json<{
      credential: { properties: Record<string, unknown> };
      credential_id: string;
      state: unknown;
    }>();
    expect(body.state).toBe('form');
    expect(body.credential.properties).toMatchObject({
      kind: 'stripe_key',
      secret: MASK,
      account_id: 'acct_connect1',
      test: true,
    });
    const got = await c.json<{ health: { status: string } }>('GET', `/v1/credentials/${body.credential_id}`);
    expect(got.body.health.status).toBe('ok');
  });

  it('no secret, code, state or verifier in any log line, audit row, event or flow record', async () => {
    const audit = JSON.stringify((await c.json('GET', '/v1/audit-events?limit=500')).body);
    const sessions = JSON.stringify((await c.json('GET', '/v1/connect-sessions?limit=500')).body);
    const events = JSON.stringify((await c.json('GET', '/v1/events?limit=500')).body);
    expect(audit).toContain('connect.completed');
    expect(events).toContain('credential.connected');
    const logs = w.h.logs.join('\n');
    expect(logs).toContain('connect flow completed');
    expect(forbidden.size).toBeGreaterThan(10);
    for (const s of forbidden) {
      if (s === '') continue;
      expect(logs).not.toContain(s);
      expect(audit).not.toContain(s);
      expect(sessions).not.toContain(s);
      expect(events).not.toContain(s);
    }
  });
});
