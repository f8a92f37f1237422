/**
 * Connect's failure paths in a real browser (docs: Connect, §5): each ends on a plain error page
 * or on redirect_url with an RFC 6749 error, stores nothing, and leaves the flow record saying why.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import type { Client } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import {
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

let browser: Awaited<ReturnType<typeof launchBrowser>>;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => browser?.close());

const ACME = {
  instance_url: 'https://acme.my.salesforce.com',
  org_id: '00D00000000000AAAA',
  user_id: '00500000000000AAAA',
};
const OTHER = {
  instance_url: 'https://other.my.salesforce.com',
  org_id: '00D00000000000BBBB',
  user_id: '00500000000000BBBB',
};

describe.each(STORE_KINDS)('Connect failures on %s', (store) => {
  let w: World;
  let b: Browser;
  let ctx: BrowserContext;
  let c: Client;
  let app: string;
  /** Credentials stored, and credential events written (a flow that stores nothing writes none). */
  const count = async () => {
    const creds = (await c.json<{ data: unknown[] }>('GET', '/v1/credentials?limit=500')).body.data.length;
    // Background checks may change health meanwhile: what a flow writes is created, updated or connected.
    const events = (
      await c.json<{ data: Array<{ type: string }> }>('GET', '/v1/events?type=credential.*&limit=500')
    ).body.data.filter((e) => e.type !== 'credential.health_changed').length;
    return `${creds} credentials, ${events} events`;
  };
  const lastSession = async () =>
    (
      await c.json<{ data: Array<{ status: string; error: { reason: string; message: string } | null }> }>(
        'GET',
        '/v1/connect-sessions?limit=1',
      )
    ).body.data[0];
  const sf = () => fake(w, 'salesforce');
  const start = (extra: Record<string, unknown> = {}) =>
    startAuth(c, { oauth_app_id: app, credential_kind: 'salesforce', redirect_url: w.doneUrl, state: 's', ...extra });

  beforeAll(async () => {
    w = await startWorld(store);
    b = browser.browser;
    ctx = await b.newContext();
    c = await w.h.newAccount();
    app = await connectApp(w, c, 'salesforce');
  });
  afterAll(async () => {
    await ctx?.close();
    await w?.close();
  });

  it('deny: redirect_url gets error=access_denied, nothing is stored, the record says why', async () => {
    sf().state.records.set('consent', ACME);
    const before = await count();
    const final = await consent(ctx, w, await start(), 'Deny');
    expect(final.searchParams.get('error')).toBe('access_denied');
    expect(final.searchParams.get('code')).toBeNull();
    for (const s of secretsOf(w, 'salesforce')) expect(final.toString()).not.toContain(s);
    expect(await count()).toBe(before);
    expect(await lastSession()).toMatchObject({ status: 'failed', error: { reason: 'access_denied' } });
  });

  it('expired and reused links answer a plain page (410), never a redirect; an unknown one 404', async () => {
    const expired = await start({ expires_in: 60 });
    await w.h.testStore.store.db
      .updateTable('connect_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('status', '=', 'pending')
      .execute();
    const page = await ctx.newPage();
    const gone = await page.goto(expired);
    expect(gone?.status()).toBe(410);
    expect(await page.content()).toContain('no longer valid');
    expect(gone?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(gone?.headers()['referrer-policy']).toBe('no-referrer');
    expect(gone?.headers()['cache-control']).toBe('no-store');
    expect(await lastSession()).toMatchObject({ status: 'expired' });

    sf().state.records.set('consent', ACME);
    const link = await start();
    const first = await page.goto(link);
    expect(new URL(first?.url() ?? '').origin).toBe(sf().url);
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    const unknown = await page.goto(`${w.publicUrl}/link/oauth2/start/cvl_nosuchlink`);
    expect(unknown?.status()).toBe(404);
    await page.close();
  });

  it('two tabs racing for one link: exactly one reaches the provider', async () => {
    const link = await start();
    const [p1, p2] = await Promise.all([ctx.newPage(), ctx.newPage()]);
    const answers = await Promise.all([p1.goto(link), p2.goto(link)]);
    const origins = answers.map((r) => new URL(r?.url() ?? '').origin);
    expect(origins.filter((o) => o === sf().url)).toHaveLength(1);
    expect(answers.map((r) => r?.status()).filter((s) => s === 410)).toHaveLength(1);
    await Promise.all([p1.close(), p2.close()]);
  });

  it('tampered state and a missing flow cookie (another browser) end on an error page; nothing stored', async () => {
    sf().state.records.set('consent', ACME);
    const before = await count();
    const page = await ctx.newPage();
    await page.goto(await start());
    const consentUrl = page.url();
    const tampered = await page.goto(
      `${w.publicUrl}/link/oauth2/callback/salesforce?code=abc&state=tampered-state-value`,
    );
    expect(tampered?.status()).toBe(400);
    expect(await page.content()).toContain('could not be completed');

    // The consent page opened in a second browser context: no flow cookie there.
    const other = await b.newContext();
    const p2 = await other.newPage();
    await p2.goto(consentUrl);
    await p2.getByRole('button', { name: 'Allow' }).click();
    await p2.waitForURL((u) => u.toString().startsWith(`${w.publicUrl}/link/oauth2/callback/`));
    expect(await p2.content()).toContain('could not be completed');
    for (const s of secretsOf(w, 'salesforce')) expect(await p2.content()).not.toContain(s);
    await other.close();
    await page.close();
    expect(await count()).toBe(before);
  });

  it('Shopify: a callback with a bad hmac redirects with invalid_request and stores nothing', async () => {
    const shopApp = await connectApp(w, c, 'shopify');
    fake(w, 'shopify').state.records.set('consent', { shop: 'acme.myshopify.com', shop_id: 9, scope: 'read_products' });
    fake(w, 'shopify').state.records.set('tamper_hmac', {});
    const before = await count();
    const final = await consent(
      ctx,
      w,
      await startAuth(c, {
        oauth_app_id: shopApp,
        credential_kind: 'shopify',
        redirect_url: w.doneUrl,
        properties: { shop: 'acme.myshopify.com' },
      }),
      'Allow',
    );
    fake(w, 'shopify').state.records.delete('tamper_hmac');
    expect(final.searchParams.get('error')).toBe('invalid_request');
    expect(fake(w, 'shopify').calls.count('connect-token')).toBe(0);
    expect(await count()).toBe(before);
  });

  it('start-auth refuses an unregistered redirect_url and missing tenant properties (422 on the field)', async () => {
    const res = await c.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials/start-auth', {
      oauth_app_id: app,
      credential_kind: 'salesforce',
      redirect_url: 'https://evil.example/steal',
    });
    expect(res.status).toBe(422);
    expect(Object.keys(res.body.validation_errors)).toEqual(['redirect_url']);
    const shopApp = await connectApp(w, c, 'shopify');
    const noShop = await c.json<{ validation_errors: Record<string, string[]> }>('POST', '/v1/credentials/start-auth', {
      oauth_app_id: shopApp,
      credential_kind: 'shopify_oauth2',
      redirect_url: w.doneUrl,
    });
    expect(Object.keys(noShop.body.validation_errors)).toEqual(['properties.shop']);
  });

  it('re-authorize: the same account updates the credential; a different account fails with account_mismatch and leaves it untouched', async () => {
    sf().state.records.set('consent', ACME);
    const first = await consent(ctx, w, await start(), 'Allow');
    const id = (await exchange(w, first.searchParams.get('code') ?? '', app)).body.credential_id;
    const before = await c.json<Record<string, unknown>>('GET', `/v1/credentials/${id}`);
    const total = await count();

    sf().state.records.set('consent', OTHER);
    const wrong = await consent(ctx, w, await start({ credential_id: id }), 'Allow');
    expect(wrong.searchParams.get('error')).toBe('account_mismatch');
    expect(await lastSession()).toMatchObject({ status: 'failed', error: { reason: 'account_mismatch' } });
    expect((await c.json('GET', `/v1/credentials/${id}`)).body).toEqual(before.body);
    expect(await count()).toBe(total);

    sf().state.records.set('consent', ACME);
    const same = await consent(ctx, w, await start({ credential_id: id }), 'Allow');
    expect((await exchange(w, same.searchParams.get('code') ?? '', app)).body.credential_id).toBe(id);
  });

  it("the provider's token endpoint down: server_error, the reason in the record only", async () => {
    sf().state.records.set('consent', ACME);
    sf().state.force('server_error', 'connect-token');
    const before = await count();
    const final = await consent(ctx, w, await start(), 'Allow');
    expect(final.searchParams.get('error')).toBe('server_error');
    expect(final.searchParams.get('error_description')).not.toContain('500');
    expect(await lastSession()).toMatchObject({ status: 'failed', error: { reason: 'provider_error' } });
    expect(await count()).toBe(before);
  });

  it('the exchange: a wrong client secret is 401 and the code stays valid; a used code is 404', async () => {
    sf().state.records.set('consent', ACME);
    const final = await consent(ctx, w, await start(), 'Allow');
    const code = final.searchParams.get('code') ?? '';
    expect((await exchange(w, code, app, 'wrong-secret')).status).toBe(401);
    const otherApp = await connectApp(w, c, 'salesforce');
    expect((await exchange(w, code, otherApp)).status).toBe(401);
    expect((await exchange(w, code, app)).status).toBe(200);
    expect((await exchange(w, code, app)).status).toBe(404);
    const logs = w.h.logs.join('\n');
    for (const s of [...secretsOf(w, 'salesforce'), code]) expect(logs).not.toContain(s);
    expect(logs).not.toContain(MARKER);
  });
});
