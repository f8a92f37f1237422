/**
 * Connect end to end: a listening credvault, fake authorization servers on 127.0.0.1, the
 * customer's own app (the redirect_url) and Debian's Chromium driven by playwright-core.
 * One browser per test file; one credvault and one set of fakes per storage.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import type { Provider } from '../../src/providers/types.js';
import { startConsentProvider } from '../fakes/consent.js';
import type { FakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import type { StoreKind } from '../support/stores.js';

export const CHROMIUM = '/usr/bin/chromium';
export const APP_SECRET = `${MARKER}-app-secret`;
const PROVIDERS: Provider[] = ['salesforce', 'hubspot', 'airtable', 'shopify', 'quickbooks', 'github', 'stripe'];

/** Playwright gives every non-persistent launch a fresh temporary user-data-dir of its own. */
export async function launchBrowser(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return { browser, close: () => browser.close() };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const GITHUB_KEY = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
})();

export interface World {
  h: Harness;
  publicUrl: string;
  /** The customer's app: where flows end. */
  doneUrl: string;
  fakes: Record<string, FakeProvider>;
  close(): Promise<void>;
}

/** `extra`: more configuration (e.g. CREDVAULT_WEBHOOK_ALLOWED_ORIGINS for a receiver). */
export async function startWorld(store: StoreKind, extra: Record<string, string> = {}): Promise<World> {
  const fakes: Record<string, FakeProvider> = {};
  for (const p of PROVIDERS) fakes[p] = await startConsentProvider(p);
  const done: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><p>Back in the app.</p>');
  });
  await new Promise<void>((r) => done.listen(0, '127.0.0.1', r));
  const doneUrl = `http://127.0.0.1:${(done.address() as AddressInfo).port}/connected`;
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const overrides: Record<string, string> = {
    CREDVAULT_PUBLIC_URL: publicUrl,
    CREDVAULT_LINK_RATE_LIMIT: '0',
    CREDVAULT_CONNECT_REDIRECT_URLS: doneUrl,
    CREDVAULT_PROVIDER_TIMEOUT_MS: '3000',
    ...extra,
  };
  for (const p of PROVIDERS) overrides[`CREDVAULT_PROVIDER_URL_${p.toUpperCase()}`] = fakes[p]?.url ?? '';
  const h = await startHarness(store, overrides);
  await h.rt.app.listen({ port, host: '127.0.0.1' });
  const github = fakes.github;
  github?.state.records.set('app', { app_id: '12345', public_key: GITHUB_KEY.pub });
  github?.state.records.set('setup', { url: `${publicUrl}/link/oauth2/callback/github` });
  return {
    h,
    publicUrl,
    doneUrl,
    fakes,
    async close() {
      await h.close();
      for (const f of Object.values(fakes)) await f.close();
      done.closeAllConnections();
      await new Promise<void>((r) => done.close(() => r()));
    },
  };
}

export function fake(w: World, p: Provider): FakeProvider {
  const f = w.fakes[p];
  if (!f) throw new Error(`no fake for ${p}`);
  return f;
}

/** An OAuth app of the provider whose redirect_urls hold the customer's app; registered with the fake. */
export async function connectApp(
  w: World,
  c: Client,
  provider: Provider,
  settings: Record<string, unknown> = {},
): Promise<string> {
  const clientId = `client-${provider}-${c.accountId.slice(0, 8)}`;
  fake(w, provider).state.addClient(clientId, APP_SECRET);
  const res = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
    name: `${provider} app`,
    provider,
    client_id: clientId,
    client_secret: APP_SECRET,
    redirect_urls: [w.doneUrl],
    settings,
  });
  if (res.status !== 200) throw new Error(`app: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

export async function startAuth(c: Client, body: Record<string, unknown>): Promise<string> {
  const res = await c.json<{ start_url: string }>('POST', '/v1/credentials/start-auth', body);
  if (res.status !== 200) throw new Error(`start-auth: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.start_url;
}

/** Opens the link, presses Allow or Deny at the fake, and waits for the customer's app. */
export async function consent(
  ctx: BrowserContext,
  w: World,
  startUrl: string,
  button: 'Allow' | 'Deny',
  seen: string[] = [],
): Promise<URL> {
  const page = await ctx.newPage();
  try {
    await page.goto(startUrl);
    seen.push(await page.content());
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL((u) => u.toString().startsWith(w.doneUrl));
    return new URL(page.url());
  } finally {
    await page.close();
  }
}

export async function exchange(w: World, code: string, appId: string, secret = APP_SECRET) {
  const res = await w.h.rt.app.inject({
    method: 'POST',
    url: '/link/oauth2/token',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ code, client_id: appId, client_secret: secret }),
  });
  return {
    status: res.statusCode,
    body: res.json<{
      credential: { oauth_app_id: string | null; properties: Record<string, unknown> };
      credential_id: string;
      state: unknown;
    }>(),
  };
}

/** Values that must appear nowhere: the marker, and the last provider code, state and verifier. */
export function secretsOf(w: World, p: Provider): string[] {
  const r = fake(w, p).state.records;
  const values = ['last_code', 'last_state', 'last_verifier']
    .map((k) => r.get(k)?.value)
    .filter((v): v is string => typeof v === 'string' && v !== '');
  return [MARKER, ...values];
}
