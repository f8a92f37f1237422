/** Provider quirks that the shared tables do not reach. */
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_MODULES } from '../../../src/providers/api/index.js';
import type { ProviderCredential } from '../../../src/providers/module.js';
import { contextFor, registerApp } from '../../fakes/harness.js';
import { startFakeProvider, type FakeProvider } from '../../fakes/server.js';
import type { Provider } from '../../../src/providers/types.js';
import { CASES } from './cases-b.js';
import { expectActionable, expectFailure, secret, type Setup } from './case-types.js';

let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function seeded(
  provider: Provider,
): Promise<{ fake: FakeProvider; setup: Setup; kind: ProviderCredential['kind'] }> {
  const c = CASES.find((x) => x.provider === provider);
  if (!c) throw new Error(provider);
  fake = await startFakeProvider(provider);
  return { fake, setup: c.seed(fake), kind: c.kind };
}

describe('salesforce refresh: the token reply is untrusted (A6)', () => {
  async function refreshWith(
    instanceUrl: string,
    propsInstance = 'https://acme.my.salesforce.com',
    extraHosts: string[] = [],
  ) {
    const s = await seeded('salesforce');
    const rt = String(s.setup.props.refresh_token);
    const info = s.fake.state.refreshTokens.get(rt);
    if (info) info.instance_url = instanceUrl;
    const h = contextFor(s.fake, { extraHosts, ...(s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {}) });
    const fn = PROVIDER_MODULES.salesforce.refresh;
    if (!fn) throw new Error('no refresh');
    return {
      h,
      result: await fn({ kind: s.kind, properties: { ...s.setup.props, instance_url: propsInstance } }, h.ctx),
    };
  }

  it('learns instance_url, org_id and user_id from a Salesforce reply', async () => {
    const { result, h } = await refreshWith('https://acme.my.salesforce.com');
    expect(result).toMatchObject({
      ok: true,
      learned: {
        instance_url: 'https://acme.my.salesforce.com',
        org_id: '00D5g000004AbCdEAK',
        user_id: '0055g00000XyZ12AAB',
      },
    });
    expect(h.baseNames).toEqual(['default']);
  });

  it.each([
    'https://evil.example.com',
    'http://acme.my.salesforce.com',
    'https://acme.my.salesforce.com.evil.example',
    'https://notsalesforce.com',
  ])('refuses %s with invalid_response and stores nothing', async (url) => {
    const { result } = await refreshWith(url);
    const f = expectFailure(result);
    expect(f.reason).toBe('invalid_response');
    expectActionable(f, 'Salesforce');
  });

  it("accepts a host under the operator's CREDVAULT_PROVIDER_HOSTS_SALESFORCE, as an import does, and names it when refusing", async () => {
    const ok = await refreshWith('https://acme.my.salesforce-gov.example', 'https://acme.my.salesforce.com', [
      'salesforce-gov.example',
    ]);
    expect(ok.result).toMatchObject({ ok: true, learned: { instance_url: 'https://acme.my.salesforce-gov.example' } });
    await fake?.close();
    const refused = expectFailure((await refreshWith('https://acme.my.salesforce-gov.example')).result);
    expect(refused.reason).toBe('invalid_response');
    await fake?.close();
    const other = expectFailure(
      (await refreshWith('https://evil.example.com', 'https://acme.my.salesforce.com', ['salesforce-gov.example']))
        .result,
    );
    expect(other.note).toContain("the operator's salesforce-gov.example");
  });

  it('accepts force.com and salesforce.mil hosts', async () => {
    expect((await refreshWith('https://acme.lightning.force.com')).result.ok).toBe(true);
    await fake?.close();
    expect((await refreshWith('https://acme.my.salesforce.mil')).result.ok).toBe(true);
  });

  it('sends sandbox orgs to the sandbox login host', async () => {
    const { h } = await refreshWith(
      'https://acme--dev.sandbox.my.salesforce.com',
      'https://acme--dev.sandbox.my.salesforce.com',
    );
    expect(h.baseNames).toEqual(['sandbox']);
  });

  it('maps rate_limit_exceeded on the token endpoint to rate_limited', async () => {
    const s = await seeded('salesforce');
    s.fake.state.force('rate_limited', 'token');
    const h = contextFor(s.fake, s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {});
    const f = expectFailure(
      await (PROVIDER_MODULES.salesforce.refresh?.({ kind: s.kind, properties: s.setup.props }, h.ctx) ??
        Promise.reject(new Error('no refresh'))),
    );
    expect(f.reason).toBe('rate_limited');
  });
});

describe('github App JWT', () => {
  it('signs iat 60 s back and exp under 10 minutes, with iss = app_id', async () => {
    const s = await seeded('github');
    const h = contextFor(s.fake, s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {});
    expect((await PROVIDER_MODULES.github.identify({ kind: s.kind, properties: s.setup.props }, h.ctx)).ok).toBe(true);
    const claims = s.fake.state.records.get('last_jwt_claims');
    expect(claims?.iss).toBe(12345);
    const now = Math.floor(Date.now() / 1000);
    expect(Number(claims?.iat)).toBeLessThanOrEqual(now - 59);
    expect(Number(claims?.exp) - Number(claims?.iat)).toBe(600);
  });

  it('warns on a suspended installation and refuses its token with forbidden', async () => {
    const s = await seeded('github');
    const inst = s.fake.state.records.get('installation:4242');
    if (inst) inst.suspended = true;
    const h = contextFor(s.fake, s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {});
    const cred = { kind: s.kind, properties: s.setup.props };
    expect(await PROVIDER_MODULES.github.identify(cred, h.ctx)).toMatchObject({
      ok: true,
      warning: { reason: 'forbidden' },
    });
    const f = expectFailure(
      await (PROVIDER_MODULES.github.refresh?.(cred, h.ctx) ?? Promise.reject(new Error('no refresh'))),
    );
    expect(f.reason).toBe('forbidden');
    expectActionable(f, 'GitHub');
  });

  it('maps an uninstalled App to not_found with a reinstall note', async () => {
    const s = await seeded('github');
    s.fake.state.records.delete('installation:4242');
    const h = contextFor(s.fake, s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {});
    const f = expectFailure(await PROVIDER_MODULES.github.identify({ kind: s.kind, properties: s.setup.props }, h.ctx));
    expect(f.reason).toBe('not_found');
    expect(f.note).toMatch(/Reinstall the App/);
  });

  it.each([
    [{}, /app_id and private_key/],
    [{ app_id: '12345', private_key: 'not a pem' }, /not a valid PEM/],
  ])('is misconfigured with settings %j', async (settings, note) => {
    const s = await seeded('github');
    const h = contextFor(s.fake, { oauthApp: { clientId: 'Iv1.abc', clientSecret: secret('x'), settings } });
    const f = expectFailure(await PROVIDER_MODULES.github.identify({ kind: s.kind, properties: s.setup.props }, h.ctx));
    expect(f.reason).toBe('misconfigured');
    expect(f.note).toMatch(note);
    expect(s.fake.calls.count()).toBe(0);
  });
});

describe('netsuite OAuth 1.0a', () => {
  it('signs with HMAC-SHA256 and the account realm, on the account host', async () => {
    const s = await seeded('netsuite');
    const h = contextFor(s.fake);
    expect((await PROVIDER_MODULES.netsuite.identify({ kind: s.kind, properties: s.setup.props }, h.ctx)).ok).toBe(
      true,
    );
    expect(h.tenantHosts).toEqual(['1234567-sb1.suitetalk.api.netsuite.com']);
    const auth = h.http.sent[0]?.headers?.authorization ?? '';
    expect(auth).toMatch(/^OAuth realm="1234567_SB1",/);
    expect(auth).toContain('oauth_signature_method="HMAC-SHA256"');
  });

  it('maps a wrong token secret (bad signature) to unauthorized', async () => {
    const s = await seeded('netsuite');
    const h = contextFor(s.fake);
    const f = expectFailure(
      await PROVIDER_MODULES.netsuite.identify(
        { kind: s.kind, properties: { ...s.setup.props, token_secret: secret('wrong') } },
        h.ctx,
      ),
    );
    expect(f.reason).toBe('unauthorized');
    expect(f.note).toContain('Login Audit Trail');
  });
});

describe('stripe Connect identify', () => {
  async function connect(connected: boolean) {
    fake = await startFakeProvider('stripe');
    const app = registerApp(fake);
    if (connected) fake.state.records.set('connected:acct_1Connected000000', {});
    const h = contextFor(fake, { oauthApp: app });
    const result = await PROVIDER_MODULES.stripe.identify(
      { kind: 'stripe_oauth2', properties: { stripe_user_id: 'acct_1Connected000000' } },
      h.ctx,
    );
    return { h, result };
  }

  it('uses the platform key with Stripe-Account when no access token is stored', async () => {
    const { h, result } = await connect(true);
    expect(result).toMatchObject({ ok: true, accountId: 'acct_1Connected000000' });
    expect(h.http.sent[0]?.headers?.['stripe-account']).toBe('acct_1Connected000000');
  });

  it('maps a revoked Connect authorization (account_invalid) to unauthorized', async () => {
    const f = expectFailure((await connect(false)).result);
    expect(f.reason).toBe('unauthorized');
    expectActionable(f, 'Stripe');
  });
});

describe("failures that are the OAuth app's, not the credential's", () => {
  it("GitHub: a JWT the App endpoints refuse (401) is the App's key, shared by every installation", async () => {
    const s = await seeded('github');
    const c = CASES.find((x) => x.provider === 'github');
    c?.revoke?.(s.fake, s.setup);
    const h = contextFor(s.fake, s.setup.oauthApp ? { oauthApp: s.setup.oauthApp } : {});
    const f = expectFailure(await PROVIDER_MODULES.github.identify({ kind: s.kind, properties: s.setup.props }, h.ctx));
    expect(f.reason).toBe('unauthorized');
    expect(f.oauthApp).toBe(true);
  });

  it('a revoked credential of its own (a Stripe key) does not blame any app', async () => {
    const s = await seeded('stripe');
    CASES.find((x) => x.provider === 'stripe')?.revoke?.(s.fake, s.setup);
    const h = contextFor(s.fake);
    const f = expectFailure(await PROVIDER_MODULES.stripe.identify({ kind: s.kind, properties: s.setup.props }, h.ctx));
    expect(f.reason).toBe('unauthorized');
    expect(f.oauthApp).toBeUndefined();
  });
});
