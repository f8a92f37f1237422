/**
 * The console in a real browser (Debian's Chromium through playwright-core) against a running
 * credvault seeded through its API, with a fake Stripe answering checks and a webhook receiver
 * on 127.0.0.1: sign in, overview figures equal the API's, filter, search and page the list,
 * open a credential, check it and read its history, get a connect link and a re-authorize link,
 * create an OAuth app, create and revoke a token, a webhook endpoint with deliveries; an axe
 * scan of every page; the token never in a URL, in localStorage or in a log line; a screenshot
 * of every page.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createRuntime, type Runtime } from '../../src/main.js';
import { CONSOLE_CSP, findConsoleRoot } from '../../src/http/console.js';
import { BOOTSTRAP_TOKEN, captureLogger, testConfig } from '../support/harness.js';
import { type TestStore, openTestStore } from '../support/stores.js';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import { ARTIFACTS, axeViolations, launchChromium } from './browser.js';

interface Api {
  status: number;
  body: Record<string, unknown>;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('console in Chromium', () => {
  let testStore: TestStore;
  let rt: Runtime;
  let fake: FakeProvider;
  let rx: Receiver;
  let redirectUrl: string;
  let browser: Browser;
  let base: string;
  let logs: string[];
  let token: string;
  const requestedUrls: string[] = [];

  const api = async (method: string, path: string, body?: unknown, bearer = token): Promise<Api> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const goodKey = (i: number) => `sk_test_${MARKER}_good_${i}`;
  const revokedKey = (i: number) => `sk_test_${MARKER}_revoked_${i}`;

  beforeAll(async () => {
    if (!findConsoleRoot())
      throw new Error('The console is not built: run `npm run build` (npm test does it in pretest).');
    fake = await startFakeProvider('stripe');
    rx = await startReceiver();
    testStore = await openTestStore('pglite');
    const captured = captureLogger();
    logs = captured.lines;
    // Connect builds its links from CREDVAULT_PUBLIC_URL, so the port is chosen before the start.
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // Where Connect sends the user back: any page that answers 200 (the receiver's 204 is no navigation).
    redirectUrl = `${base}/console/connected`;
    rt = await createRuntime(
      testConfig({
        CREDVAULT_PROVIDER_URL_STRIPE: fake.url,
        CREDVAULT_PUBLIC_URL: base,
        CREDVAULT_CONNECT_REDIRECT_URLS: redirectUrl,
        CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin,
      }),
      { store: testStore.store, log: captured.log, lookup: async () => [] },
    );
    await rt.app.listen({ host: '127.0.0.1', port });

    const account = await api('POST', '/v1/accounts', { name: 'Console test' }, BOOTSTRAP_TOKEN);
    token = (account.body.token as { token: string }).token;
    // 60 Stripe keys (more than one page of 50): 4 the fake knows (ok once checked), 3 it refuses.
    for (let i = 0; i < 60; i++) {
      const secret = i < 4 ? goodKey(i) : i < 7 ? revokedKey(i) : `sk_test_${MARKER}_unchecked_${i}`;
      if (i < 4) fake.state.addAccessToken(secret, { account_id: `acct_console_${i}` });
      const res = await api('POST', '/v1/credentials', {
        name: `Customer ${String(i).padStart(2, '0')}`,
        properties: { kind: 'stripe_key', secret },
        metadata: { tier: i % 2 === 0 ? 'gold' : 'silver' },
      });
      expect(res.status).toBe(200);
    }
    const list = await api('GET', '/v1/credentials?limit=100');
    const byName = new Map((list.body.data as Array<{ id: string; name: string }>).map((c) => [c.name, c.id]));
    // Check three good and three refused keys now; Customer 03 stays pending for the browser.
    for (const i of [0, 1, 2, 4, 5, 6]) {
      const res = await api('POST', `/v1/credentials/${byName.get(`Customer 0${i}`) ?? ''}/check`);
      expect(res.status).toBe(200);
    }
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await rt?.close();
    await testStore?.close();
    await fake?.close();
    await rx?.close();
  });

  async function newPage(context?: BrowserContext): Promise<Page> {
    const ctx = context ?? (await browser.newContext());
    ctx.setDefaultTimeout(15_000);
    const page = await ctx.newPage();
    page.on('request', (r) => requestedUrls.push(r.url()));
    return page;
  }

  async function signIn(page: Page, with_ = token): Promise<void> {
    await page.goto(`${base}/console/`);
    await page.getByLabel('API token').fill(with_);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function expectAccessible(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
    const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious, `${name}: ${JSON.stringify(serious)}`).toEqual([]);
  }

  it('is served with a strict Content-Security-Policy, and deep links load the app', async () => {
    const res = await fetch(`${base}/console/credentials?status=error`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[^"]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
  });

  it('refuses a wrong token, then signs in and shows the overview figures the API gives', async () => {
    const page = await newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await signIn(page, 'cv_live_not_a_real_token_0000000000000000000000');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/token/i);
    await expectAccessible(page, 'sign-in-refused');

    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByTestId('total-error').waitFor();
    const summary = (await api('GET', '/v1/credentials/summary')).body as { total: Record<string, number> };
    expect(summary.total).toMatchObject({ ok: 3, error: 3, pending: 54, warn: 0, total: 60 });
    for (const s of ['ok', 'warn', 'error', 'pending']) {
      expect(Number(await page.getByTestId(`total-${s}`).textContent())).toBe(summary.total[s]);
    }
    const stripeRow = page.locator('tr[data-provider="stripe"]');
    expect(await stripeRow.locator('td').last().textContent()).toBe('60');
    // The recently broken list names the refused credentials with the provider's note.
    const broken = page.locator('ul.broken li');
    expect(await broken.count()).toBe(3);
    expect(await broken.first().textContent()).toMatch(/Customer 0[456]/);
    expect(await broken.first().locator('.note').textContent()).toMatch(/Stripe/);
    // Master keys are for admin tokens only (the test below).
    expect(await page.getByRole('heading', { name: 'Master keys' }).count()).toBe(0);
    await expectAccessible(page, 'overview');
    expect(violations).toEqual([]);
    await page.context().close();
  });

  it('filters the list through the URL and pages through it with cursors', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Credentials' }).first().click();
    await page.getByRole('heading', { name: 'Credentials' }).waitFor();
    await page.locator('table.list tbody tr').first().waitFor();
    expect(await page.locator('table.list tbody tr').count()).toBe(50);
    await expectAccessible(page, 'credentials');

    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.has('cursor')).toBe(true);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(10);

    await page.getByLabel('Health').selectOption('error');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('error');
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(3);
    const names = await page.locator('table.list tbody tr td:first-child').allTextContents();
    expect(names.sort()).toEqual(['Customer 04', 'Customer 05', 'Customer 06']);
    expect(await page.locator('table.list tbody .health-error').count()).toBe(3);

    // The filtered URL is shareable: a fresh load shows the same rows.
    await page.goto(`${base}/console/credentials?status=ok&metadata=${encodeURIComponent('{"tier":"gold"}')}`);
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(2); // Customer 00 and 02
    // A bad metadata filter shows the API's field error next to its input.
    await page.getByLabel('Metadata').fill('not json');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('#f-metadata-error').textContent()).toMatch(/JSON object/);
    await page.context().close();
  });

  it('opens a credential, checks it now and shows the new health; secrets stay masked', async () => {
    const page = await newPage();
    await signIn(page);
    // Newest first, 50 a page: Customer 03 is among the 30 "silver" ones.
    await page.goto(`${base}/console/credentials?metadata=${encodeURIComponent('{"tier":"silver"}')}`);
    await page.getByRole('link', { name: 'Customer 03' }).click();
    await page.getByRole('heading', { name: 'Customer 03' }).waitFor();
    expect(await page.locator('.health-panel .health').first().textContent()).toMatch(/pending/);
    const secretCell = page.locator('dl.props dd', { hasText: '*' });
    expect(await secretCell.count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Check now' }).click();
    await expect.poll(() => page.locator('.health-panel .health').first().textContent()).toMatch(/ok/);
    expect(await page.content()).not.toContain(MARKER);
    await expectAccessible(page, 'credential');

    // Deleting asks first and names the credential.
    await page.getByRole('button', { name: 'Delete' }).click();
    expect(await page.getByRole('alertdialog').textContent()).toContain('Customer 03');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.context().close();
  });

  it('creates an OAuth app from the form, with the API field errors next to the inputs', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'OAuth apps' }).click();
    await page.getByRole('heading', { name: 'OAuth apps' }).waitFor();
    await page.getByText('No OAuth apps yet.').waitFor();
    await expectAccessible(page, 'oauth-apps-empty');
    await page.getByRole('button', { name: 'New OAuth app' }).click();
    await page.getByLabel('Name').fill('Console Salesforce');
    await page.getByLabel('Provider').selectOption('salesforce');
    await page.getByLabel('Client id').fill('console-client');
    await page.getByLabel('Client secret').fill(`cs_${MARKER}`);
    await page.getByLabel('Settings (JSON, optional)').fill('{"bad name": 1}');
    await page.getByRole('button', { name: 'Create OAuth app' }).click();
    // The same field error the API gives, next to the settings input.
    const refused = await api('POST', '/v1/oauth-apps', {
      name: 'x',
      provider: 'salesforce',
      client_id: 'c',
      client_secret: 's',
      settings: { 'bad name': 1 },
    });
    const [[path, messages]] = Object.entries(refused.body.validation_errors as Record<string, string[]>) as [
      [string, string[]],
    ];
    expect(path).toBe('settings.bad name');
    await expect.poll(() => page.locator('#app-settings-error').textContent()).toBe(`bad name: ${messages.join('; ')}`);
    await page.getByLabel('Settings (JSON, optional)').fill('');
    await page.getByRole('button', { name: 'Create OAuth app' }).click();
    await page.getByRole('cell', { name: 'Console Salesforce' }).waitFor();
    const apps = (await api('GET', '/v1/oauth-apps')).body.data as Array<{ name: string; client_secret: string }>;
    expect(apps.map((a) => a.name)).toEqual(['Console Salesforce']);
    expect(await page.content()).not.toContain(MARKER);
    await expectAccessible(page, 'oauth-apps');
    await page.context().close();
  });

  it('creates a token (shown once), revokes it, and the audit page lists both', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByLabel('Name').fill('ci deploy');
    await page.getByRole('button', { name: 'Create token' }).click();
    const issued = (await page.getByTestId('new-token').textContent()) ?? '';
    expect(issued).toMatch(/^cv_/);
    expect((await api('GET', '/v1/credentials?limit=1', undefined, issued)).status).toBe(200);
    await expectAccessible(page, 'token-created');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(issued);

    const row = page.locator('tr[data-token="ci deploy"]');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => row.count()).toBe(0);
    expect((await api('GET', '/v1/credentials?limit=1', undefined, issued)).status).toBe(401);
    await expectAccessible(page, 'tokens');

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    await expect.poll(() => page.locator('table.list tbody').textContent()).toContain('api_token.revoked');
    expect(await page.locator('table.list tbody').textContent()).toContain('api_token.created');
    await expectAccessible(page, 'audit');
    await page.context().close();
  });

  it('shows an admin the master keys: the primary key id and each node with the key ids it holds', async () => {
    const keys = (await api('GET', '/v1/keys', undefined, BOOTSTRAP_TOKEN)).body as {
      primary_kid: string;
      nodes: Array<{ node_id: string; kids: string[] }>;
    };
    expect(keys.primary_kid).toBeTruthy();
    const page = await newPage();
    await signIn(page, BOOTSTRAP_TOKEN);
    await page.getByRole('heading', { name: 'Master keys' }).waitFor();
    await page.getByTestId('primary-kid').waitFor();
    expect(await page.getByTestId('primary-kid').textContent()).toBe(keys.primary_kid);
    const row = page.locator(`tr[data-node="${keys.nodes[0]?.node_id ?? 'none'}"]`);
    expect(await row.locator('td').first().textContent()).toBe(keys.nodes[0]?.kids.join(', '));
    await expectAccessible(page, 'overview-admin');
    await page.context().close();
  });

  it('shows only what the token may do: a read-only token has no write buttons and no tokens page', async () => {
    const created = await api('POST', '/v1/api-tokens', { name: 'read only', scopes: ['credentials:read'] });
    const readOnly = created.body.token as string;
    const page = await newPage();
    await signIn(page, readOnly);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await page.goto(`${base}/console/oauth-apps`);
    await page.getByRole('heading', { name: 'OAuth apps' }).waitFor();
    expect(await page.getByRole('button', { name: 'New OAuth app' }).count()).toBe(0);
    await page.goto(`${base}/console/credentials?status=ok`);
    await page.locator('table.list tbody tr').first().locator('a').click();
    await page.locator('.health-panel').waitFor();
    expect(await page.getByRole('button', { name: 'Check now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    // Signing out forgets the token: a reload asks for it again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.context().close();
  });

  it('searches names through the URL, then shows a credential history from its events and a re-authorize link', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Credentials' }).first().click();
    await page.locator('table.list tbody tr').first().waitFor();
    await page.getByLabel('Name').fill('customer 0');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('name')).toBe('customer 0');
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(10);
    const shown = await page.locator('table.list tbody tr td:first-child').allTextContents();
    const api10 = (await api('GET', `/v1/credentials?name=${encodeURIComponent('customer 0')}`)).body.data as Array<{
      name: string;
    }>;
    expect(shown).toEqual(api10.map((c) => c.name));
    expect(shown.every((n) => n.startsWith('Customer 0'))).toBe(true);
    await page.getByLabel('Name').fill('Customer 03');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(1);
    await expectAccessible(page, 'credentials-search');

    // Customer 03 was checked in the browser above: pending → ok is in its history.
    await page.getByRole('link', { name: 'Customer 03' }).click();
    await page.getByRole('heading', { name: 'Customer 03' }).waitFor();
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    const events = (await api('GET', `/v1/events?credential_id=${id}`)).body.data as Array<{ type: string }>;
    // Newest first; the check also taught credvault the Stripe account (credential.updated).
    expect(events.map((e) => e.type)).toContain('credential.health_changed');
    expect(events.map((e) => e.type).at(-1)).toBe('credential.created');
    const items = page.locator('[data-testid="history"] li');
    await items.first().waitFor();
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-type')))).toEqual(
      events.map((e) => e.type),
    );
    const health = items.and(page.locator('[data-type="credential.health_changed"]'));
    expect(await health.textContent()).toMatch(/Health changed.*pending.*ok/);
    expect(await items.last().textContent()).toContain('Imported');

    // Re-authorize: a Connect link for this credential (credential_id), started from its page.
    const before = ((await api('GET', '/v1/connect-sessions')).body.data as unknown[]).length;
    await page.getByLabel('Redirect URL').fill(redirectUrl);
    await page.getByRole('button', { name: 'Get re-authorize link' }).click();
    const link = (await page.getByTestId('start-url').textContent()) ?? '';
    expect(link.startsWith(`${base}/link/oauth2/start/`)).toBe(true);
    const sessions = (await api('GET', '/v1/connect-sessions')).body.data as Array<{
      status: string;
      credential_kind: string;
    }>;
    expect(sessions.length).toBe(before + 1);
    expect(sessions[0]).toMatchObject({ status: 'pending', credential_kind: 'stripe_key' });
    expect(await page.content()).not.toContain(MARKER);
    await expectAccessible(page, 'credential-history');
    await page.context().close();
  });

  it('gets a connect link, the user connects through it, and the flow shows completed with its credential', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Connect' }).click();
    await page.getByRole('heading', { name: 'Connect', exact: true }).waitFor();
    await page.getByLabel('Kind').selectOption('stripe_key');
    // stripe_key needs no OAuth app: "None" is offered and chosen.
    expect(await page.getByLabel('OAuth app (optional)').inputValue()).toBe('');
    await page.getByLabel('Name of the credential (optional)').fill('Connected customer');
    await page.getByLabel('Redirect URL').fill('https://not-registered.example/back');
    await page.getByRole('button', { name: 'Get connect link' }).click();
    // The API's refusal, next to the input it names.
    await expect.poll(() => page.locator('#connect-redirect-error').textContent()).toMatch(/.+/);
    await page.getByLabel('Redirect URL').fill(redirectUrl);
    await page.getByRole('button', { name: 'Get connect link' }).click();
    const startUrl = (await page.getByTestId('start-url').textContent()) ?? '';
    expect(startUrl.startsWith(`${base}/link/oauth2/start/`)).toBe(true);
    const rows = page.locator('[data-testid="connect-sessions"] tbody tr');
    await rows.first().waitFor();
    expect(await rows.first().textContent()).toMatch(/pending.*stripe_key/);
    await expectAccessible(page, 'connect');

    // The end user, in a browser of their own, enters a key on credvault's form.
    const key = `sk_test_${MARKER}_connected`;
    fake.state.addAccessToken(key, { account_id: 'acct_console_connect' });
    const user = await newPage();
    await user.goto(startUrl);
    await user.fill('input[name="secret"]', key);
    await user.getByRole('button', { name: 'Connect' }).click();
    await user.waitForURL((u) => u.toString().startsWith(`${redirectUrl}?code=`));
    await user.context().close();

    await page.reload();
    await rows.first().waitFor();
    expect(await rows.first().textContent()).toMatch(/completed.*stripe_key/);
    const done = (await api('GET', '/v1/connect-sessions?status=completed')).body.data as Array<{
      credential_id: string;
    }>;
    expect(done).toHaveLength(1);
    await rows.first().getByRole('link').click();
    await page.getByRole('heading', { name: 'Connected customer' }).waitFor();
    expect(decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '')).toBe(done[0]?.credential_id);
    expect(await page.locator('.health-panel .health').first().textContent()).toMatch(/ok/);
    await page.locator('[data-testid="history"] li').first().waitFor();
    expect(await page.content()).not.toContain(MARKER);
    await page.context().close();
  });

  it('webhooks (admin): an endpoint with its secret shown once, a test delivery, a replay, rotate and delete', async () => {
    // The account's token lacks admin: no Webhooks page for it.
    const plain = await newPage();
    await signIn(plain);
    await plain.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await plain.getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    await plain.context().close();

    const page = await newPage();
    await signIn(page, BOOTSTRAP_TOKEN);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhook endpoints yet.').waitFor();
    await expectAccessible(page, 'webhooks-empty');
    await page.getByLabel('URL').fill(`${rx.origin}/hook`);
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    rx.trust(secret);
    await expectAccessible(page, 'webhook-created');
    await page.getByRole('button', { name: 'Done' }).click();
    const card = page.locator(`li[data-endpoint="${rx.origin}/hook"]`);
    await card.waitFor();
    // Shown once: neither the page nor the API answers it again.
    expect(await page.content()).not.toContain(secret);
    expect(JSON.stringify((await api('GET', '/v1/webhook-endpoints', undefined, BOOTSTRAP_TOKEN)).body)).not.toContain(
      secret.slice(6),
    );

    await card.getByRole('button', { name: 'Send test event' }).click();
    await card.getByText('No delivery yet.').or(card.locator('[data-testid="deliveries"]')).waitFor();
    await rt.deliveries.drain();
    const testRow = card.locator('[data-testid="deliveries"] tr[data-event-type="webhook_endpoint.test"]');
    await testRow.waitFor();
    expect(await testRow.textContent()).toContain('204 delivered');
    const got = rx.received.filter((r) => r.body.includes('webhook_endpoint.test'));
    expect(got).toHaveLength(1);
    expect(got[0]?.verifiedWith).toEqual([secret]);

    // A change in the account is delivered; "Replay from here" queues it again.
    const imported = await api(
      'POST',
      '/v1/credentials',
      { name: 'Webhook customer', properties: { kind: 'stripe_key', secret: `sk_test_${MARKER}_wh` } },
      BOOTSTRAP_TOKEN,
    );
    expect(imported.status).toBe(200);
    await rt.deliveries.drain();
    const created = card.locator('[data-testid="deliveries"] tr[data-event-type="credential.created"]');
    await created.first().waitFor();
    expect(await created.count()).toBe(1);
    await created.first().getByRole('button', { name: 'Replay from here' }).click();
    await card.getByText('1 event queued again.').waitFor();
    await rt.deliveries.drain();
    await expect.poll(() => created.count(), { timeout: 15_000 }).toBe(2);
    expect(await created.allTextContents()).toEqual([
      expect.stringContaining('204 delivered'),
      expect.stringContaining('204 delivered'),
    ]);
    expect(rx.received.filter((r) => r.body.includes('credential.created'))).toHaveLength(2);
    expect(await page.content()).not.toContain(MARKER);
    await expectAccessible(page, 'webhooks');

    await card.getByRole('button', { name: 'Rotate secret' }).click();
    await card.getByRole('button', { name: 'Yes, rotate secret' }).click();
    const rotated = (await page.getByTestId('webhook-secret').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(rotated);

    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('No webhook endpoints yet.').waitFor();
    expect(
      ((await api('GET', '/v1/webhook-endpoints', undefined, BOOTSTRAP_TOKEN)).body.data as unknown[]).length,
    ).toBe(0);
    // The overview names a failing endpoint (admin): its latest attempt got a 500.
    const failing = await api('POST', '/v1/webhook-endpoints', { url: `${rx.origin}/failing` }, BOOTSTRAP_TOKEN);
    expect(failing.status).toBe(201);
    rx.answer(() => 500);
    expect(
      (await api('POST', `/v1/webhook-endpoints/${String(failing.body.id)}/test`, {}, BOOTSTRAP_TOKEN)).status,
    ).toBe(200);
    await rt.deliveries.drain();
    rx.answer(() => 204);
    await page.getByRole('link', { name: 'Overview' }).click();
    const failingList = page.getByTestId('failing-webhooks');
    await failingList.waitFor();
    expect(await failingList.locator('li').count()).toBe(1);
    expect(await failingList.textContent()).toContain(`${rx.origin}/failing`);
    expect(await failingList.textContent()).toMatch(/answered 500/i);
    await expectAccessible(page, 'overview-admin');
    expect(
      (await api('DELETE', `/v1/webhook-endpoints/${String(failing.body.id)}`, undefined, BOOTSTRAP_TOKEN)).status,
    ).toBe(200);
    expect(requestedUrls.filter((u) => u.includes(BOOTSTRAP_TOKEN))).toEqual([]);
    expect(logs.filter((l) => l.includes(BOOTSTRAP_TOKEN) || l.includes(secret.slice(6)))).toEqual([]);
    await page.context().close();
  });

  it('never puts the token in a URL, in localStorage or in a log line', async () => {
    const page = await newPage();
    await signIn(page);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    for (const path of ['/credentials?name=customer', '/connect', '/oauth-apps', '/audit', '/tokens']) {
      await page.goto(`${base}/console${path}`);
      await page.locator('h1').waitFor();
    }
    expect(await page.evaluate(() => window.localStorage.length)).toBe(0);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([token]);
    expect(requestedUrls.length).toBeGreaterThan(20);
    const secretPart = token.slice(8);
    expect(requestedUrls.filter((u) => u.includes(secretPart))).toEqual([]);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes(secretPart) || l.includes(MARKER))).toEqual([]);
    await page.context().close();
  });
});
