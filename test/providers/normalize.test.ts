import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hostMatchesSuffixes, normalizeSuffixes } from '../../src/net/hosts.js';
import { toValidationErrors } from '../../src/lib/errors.js';
import { urlIdentityHost } from '../../src/providers/normalize.js';
import { createKindSpecs, kindSpec } from '../../src/providers/registry.js';
import { FIXTURES, fp, NOW } from './fixtures.js';
import { expectIssues, expectOk, importProps } from './helpers.js';

describe('hostMatchesSuffixes (the one host-suffix matcher)', () => {
  const sf = ['salesforce.com', 'force.com', 'salesforce.mil'];
  it.each([
    ['acme.my.salesforce.com', true],
    ['ACME.My.Salesforce.COM', true],
    ['acme.lightning.force.com.', true],
    ['salesforce.com', true],
    ['x.salesforce.mil', true],
    ['evilsalesforce.com', false],
    ['acme.salesforce.com.evil.com', false],
    ['salesforce.com.evil', false],
    ['127.0.0.1', false],
    ['[::1]', false],
    ['', false],
  ])('%s → %s', (host, allowed) => {
    expect(hostMatchesSuffixes(host, sf)).toBe(allowed);
  });

  it('ignores empty suffixes instead of allowing everything', () => {
    expect(hostMatchesSuffixes('evil.com', ['', ' ', '.'])).toBe(false);
    expect(normalizeSuffixes([' .Example.GOV. ', '*.x.org', ''])).toEqual(['example.gov', 'x.org']);
  });

  it('reduces URLs to their identity host', () => {
    expect(urlIdentityHost('https://ACME.my.salesforce.com:443/')).toBe('acme.my.salesforce.com');
    expect(urlIdentityHost('https://acme.example.com:8443/')).toBe('acme.example.com:8443');
  });
});

describe('salesforce instance_url', () => {
  const base = FIXTURES.salesforce_oauth2.valid;
  it.each([
    'https://acme.my.salesforce.com',
    'https://acme.my.salesforce.com/',
    'https://ACME.My.SalesForce.com',
    'https://acme.my.salesforce.com:443/',
    '  https://acme.my.salesforce.com.  ',
  ])('%s normalizes to one identity and one stored origin', (instance_url) => {
    const { props, identity } = expectOk(importProps('salesforce_oauth2', { ...base, instance_url }));
    expect(identity.value).toBe('url:acme.my.salesforce.com');
    expect(props.instance_url).toBe('https://acme.my.salesforce.com');
  });

  it.each([
    ['acme.my.salesforce.com', 'must be a full URL such as https://acme.my.salesforce.com'],
    ['http://acme.my.salesforce.com', 'must start with https://, such as https://acme.my.salesforce.com'],
    ['https://acme.my.salesforce.com/services/data', 'without a path or query'],
    ['https://acme.my.salesforce.com?x=1', 'without a path or query'],
    ['https://acme.my.salesforce.com:8443', 'must not name a port other than 443'],
    ['https://u:p@acme.my.salesforce.com', 'must not contain a user name or password'],
    ['https://acme.salesforce.com.evil.com', 'must be a host under salesforce.com, force.com or salesforce.mil'],
    ['https://169.254.169.254', 'must be a host under salesforce.com, force.com or salesforce.mil'],
  ])('refuses %s', (instance_url, message) => {
    const issues = expectIssues(importProps('salesforce_oauth2', { ...base, instance_url }));
    expect(issues.instance_url?.[0]).toContain(message);
  });

  it('accepts extra host suffixes given to createKindSpecs', () => {
    const specs = createKindSpecs({ extraHosts: { salesforce: ['acme.gov'], servicenow: ['servicenowservices.com'] } });
    const input = { ...base, instance_url: 'https://org.acme.gov' };
    expect(importProps('salesforce_oauth2', input).ok).toBe(false);
    const { identity } = expectOk(importProps('salesforce_oauth2', input, specs.salesforce_oauth2));
    expect(identity.value).toBe('url:org.acme.gov');
    const sn = { ...FIXTURES.servicenow_oauth2.valid, instance_url: 'https://x.servicenowservices.com' };
    expect(importProps('servicenow_oauth2', sn).ok).toBe(false);
    expect(importProps('servicenow_oauth2', sn, specs.servicenow_oauth2).ok).toBe(true);
  });
});

describe('integer fields', () => {
  const base = FIXTURES.hubspot_oauth2.valid;
  it('hub_id 123 and "123" are the same number and identity', () => {
    const a = expectOk(importProps('hubspot_oauth2', { ...base, hub_id: 123 }));
    const b = expectOk(importProps('hubspot_oauth2', { ...base, hub_id: '123' }));
    expect(a.props.hub_id).toBe(123);
    expect(b.props.hub_id).toBe(123);
    expect(b.identity).toEqual(a.identity);
  });

  it.each([1.5, -1, '12a', '', '-3', '1e3', 2 ** 53, '99999999999999999999', true])('refuses hub_id %j', (hub_id) => {
    const issues = expectIssues(importProps('hubspot_oauth2', { ...base, hub_id }));
    expect(issues.hub_id?.[0]).toMatch(/^must be a whole number/);
  });

  it('installation_id accepts a digit string', () => {
    const { props, identity } = expectOk(importProps('github_app', { installation_id: '4567' }));
    expect(props.installation_id).toBe(4567);
    expect(identity.value).toBe('installation:4567');
  });
});

describe('per-kind normalization', () => {
  it('github account_type is case-insensitive in, canonical out', () => {
    for (const [input, out] of [
      ['user', 'User'],
      ['ORGANIZATION', 'Organization'],
      [' Organization ', 'Organization'],
    ]) {
      const { props } = expectOk(importProps('github_app', { installation_id: 1, account_type: input }));
      expect(props.account_type).toBe(out);
    }
    const issues = expectIssues(importProps('github_app', { installation_id: 1, account_type: 'team' }));
    expect(issues).toEqual({ account_type: ['must be User or Organization'] });
  });

  it('shopify shop is lower-cased and must be a myshopify.com host', () => {
    const base = FIXTURES.shopify_oauth2.valid;
    const { props, identity } = expectOk(importProps('shopify_oauth2', { ...base, shop: 'Acme.MyShopify.com' }));
    expect(props.shop).toBe('acme.myshopify.com');
    expect(identity.value).toBe('shop:acme.myshopify.com');
    for (const shop of ['https://acme.myshopify.com', 'acme.com', 'acme.myshopify.com/admin', '.myshopify.com']) {
      expect(expectIssues(importProps('shopify_oauth2', { ...base, shop })).shop).toBeDefined();
    }
  });

  it('quickbooks environment defaults to production and is part of the identity', () => {
    const base = FIXTURES.quickbooks_oauth2.valid;
    expect(expectOk(importProps('quickbooks_oauth2', base)).props.environment).toBe('production');
    const sandbox = expectOk(importProps('quickbooks_oauth2', { ...base, environment: 'sandbox' }));
    expect(sandbox.identity.value).toBe('realm:9130347|sandbox');
    expect(expectIssues(importProps('quickbooks_oauth2', { ...base, environment: 'dev' })).environment).toEqual([
      'must be production or sandbox',
    ]);
    expect(expectIssues(importProps('quickbooks_oauth2', { ...base, realm_id: 'abc' })).realm_id).toBeDefined();
  });

  it('marketo munchkin_id and netsuite account_id are upper-cased and checked', () => {
    const m = FIXTURES.marketo_client_credentials.valid;
    expect(
      expectOk(importProps('marketo_client_credentials', { ...m, munchkin_id: '123-abc-456' })).identity.value,
    ).toBe('munchkin:123-ABC-456');
    expect(importProps('marketo_client_credentials', { ...m, munchkin_id: '123ABC456' }).ok).toBe(false);
    const n = FIXTURES.netsuite_tba.valid;
    for (const [input, out] of [
      ['1234567', '1234567'],
      ['1234567_sb1', '1234567_SB1'],
      ['1234567-sb2', '1234567_SB2'],
    ]) {
      expect(expectOk(importProps('netsuite_tba', { ...n, account_id: input })).props.account_id).toBe(out);
    }
    expect(expectIssues(importProps('netsuite_tba', { ...n, account_id: '1234567.sb1' })).account_id).toEqual([
      'must be a NetSuite account id such as 1234567 or 1234567_SB1',
    ]);
  });

  it('workday host and auth0 domain are bare host names', () => {
    const w = FIXTURES.workday_oauth2.valid;
    expect(expectOk(importProps('workday_oauth2', { ...w, host: 'WD2-impl-services1.Workday.com' })).props.host).toBe(
      'wd2-impl-services1.workday.com',
    );
    for (const host of [
      'https://wd2.workday.com',
      'wd2.workday.com/ccx',
      'wd2.workday.com:443',
      'localhost',
      '10.0.0.1',
    ]) {
      expect(expectIssues(importProps('workday_oauth2', { ...w, host })).host?.[0]).toMatch(/^must be a host name/);
    }
    const a = FIXTURES.auth0_client_credentials.valid;
    expect(importProps('auth0_client_credentials', { ...a, domain: 'login.acme.com' }).ok).toBe(true);
    expect(importProps('auth0_client_credentials', { ...a, domain: 'https://acme.auth0.com' }).ok).toBe(false);
  });

  it('servicenow identity without a username is the host alone', () => {
    const { identity } = expectOk(
      importProps('servicenow_oauth2', { instance_url: 'https://Acme.service-now.com/', refresh_token: 'r' }),
    );
    expect(identity.value).toBe('url:acme.service-now.com');
  });

  it('sendgrid api_key must start with SG.', () => {
    const issues = expectIssues(importProps('sendgrid_key', { api_key: 'sk_live_x' }));
    expect(issues).toEqual({ api_key: ['must start with SG.'] });
  });
});

describe('identities', () => {
  it('a stripe_key with account_id and a stripe_oauth2 of that account are one identity', () => {
    const key = expectOk(importProps('stripe_key', { secret: 'sk_live_a', account_id: 'acct_9' }));
    const rotated = expectOk(importProps('stripe_key', { secret: 'sk_live_b', account_id: 'acct_9' }));
    const oauth = expectOk(importProps('stripe_oauth2', { stripe_user_id: 'acct_9' }));
    expect(key.identity).toEqual({ value: 'account:acct_9' });
    expect(rotated.identity).toEqual(key.identity);
    expect(oauth.identity).toEqual(key.identity);
  });

  it('fingerprints fall back per kinds.md and name their secret', () => {
    expect(expectOk(importProps('airtable_oauth2', { refresh_token: 'rt', scope: 's' })).identity).toEqual({
      value: fp('rt'),
      secretField: 'refresh_token',
    });
    expect(expectOk(importProps('linear_oauth2', { access_token: 'at', scope: 's' })).identity).toEqual({
      value: fp('at'),
      secretField: 'access_token',
    });
  });

  it('different fields never collide', () => {
    const fromId = expectOk(importProps('stripe_key', { secret: 'sk_live_a', account_id: 'acct_1' })).identity.value;
    const fromFp = expectOk(importProps('stripe_key', { secret: 'sk_live_a' })).identity.value;
    expect(fromId).not.toBe(fromFp);
    expect(fromId.startsWith('account:')).toBe(true);
    expect(fromFp.startsWith('fp:')).toBe(true);
  });

  it('leaves a masked (absent) fingerprinted secret to the context, which refuses it', () => {
    class Masked extends Error {}
    const refusing = {
      fingerprint: (s: string): string => {
        if (typeof s !== 'string') throw new Masked();
        return s;
      },
    };
    // The service validates with schema.partial and calls identity through the generic KindSpec.
    const sendgrid = kindSpec('sendgrid_key');
    const masked = sendgrid.schema.partial({ api_key: true }).parse({ name: 'n' });
    expect(() => sendgrid.identity(masked, refusing)).toThrow(Masked);
    // With account_id, the masked key does not matter for the identity.
    const stripe = kindSpec('stripe_key');
    const withAccount = stripe.schema.partial({ secret: true }).parse({ account_id: 'acct_1' });
    expect(stripe.identity(withAccount, refusing)).toEqual({ value: 'account:acct_1' });
  });

  it('trims identity fields', () => {
    const a = expectOk(importProps('checkout_champ_password', { login_id: ' api-user ', password: 'p' }));
    expect(a.identity.value).toBe('login:api-user');
  });
});

describe('stripe test flag', () => {
  it.each([
    ['sk_live_x', false],
    ['rk_live_x', false],
    ['sk_test_x', true],
    ['rk_test_x', true],
  ])('%s derives test=%s', (secret, test) => {
    expect(expectOk(importProps('stripe_key', { secret })).props.test).toBe(test);
    expect(expectOk(importProps('stripe_key', { secret, test })).props.test).toBe(test);
  });

  it('refuses a contradiction on test without echoing the key', () => {
    const issues = expectIssues(importProps('stripe_key', { secret: 'sk_live_CANARY42', test: true }));
    expect(Object.keys(issues)).toEqual(['test']);
    expect(issues.test?.[0]).toBe('is true but the secret is a live-mode key; send test: false or leave test out');
    expect(JSON.stringify(issues)).not.toContain('CANARY42');
  });

  it('refuses other prefixes with an actionable message', () => {
    for (const secret of ['pk_live_CANARY', 'sk_CANARY', 'whsec_CANARY']) {
      const issues = expectIssues(importProps('stripe_key', { secret }));
      expect(issues).toEqual({ secret: ['must start with sk_live_, sk_test_, rk_live_ or rk_test_'] });
    }
  });

  it('refuses account ids without acct_', () => {
    expect(expectIssues(importProps('stripe_key', { secret: 'sk_live_x', account_id: 'cus_1' })).account_id).toEqual([
      'must be a Stripe account id starting with acct_',
    ]);
    expect(expectIssues(importProps('stripe_oauth2', { stripe_user_id: '123' })).stripe_user_id).toBeDefined();
  });
});

describe('OAuth expiry', () => {
  const sf = FIXTURES.salesforce_oauth2.valid;
  it('turns expires_in into expires_at and drops expires_in', () => {
    const { props } = expectOk(importProps('salesforce_oauth2', { ...sf, access_token: 'at', expires_in: 3600 }));
    expect(props.expires_at).toBe('2026-11-26T23:10:52.000Z');
    expect('expires_in' in props).toBe(false);
  });

  it('normalizes expires_at to UTC with Z', () => {
    const { props } = expectOk(
      importProps('hubspot_oauth2', { ...FIXTURES.hubspot_oauth2.valid, expires_at: '2026-11-27T01:00:00+02:00' }),
    );
    expect(props.expires_at).toBe('2026-11-26T23:00:00.000Z');
  });

  it('treats an access token without expiry as expiring now', () => {
    const { props } = expectOk(importProps('salesforce_oauth2', { ...sf, access_token: 'at' }));
    expect(props.expires_at).toBe(NOW.toISOString());
    expect(expectOk(importProps('salesforce_oauth2', sf)).props.expires_at).toBeUndefined();
    expect(expectOk(importProps('shopify_oauth2', FIXTURES.shopify_oauth2.valid)).props.expires_at).toBe(
      NOW.toISOString(),
    );
  });

  it('refuses both expires_at and expires_in', () => {
    const issues = expectIssues(
      importProps('workday_oauth2', {
        ...FIXTURES.workday_oauth2.valid,
        expires_at: '2026-11-27T00:00:00Z',
        expires_in: 60,
      }),
    );
    expect(issues).toEqual({ expires_in: ['cannot be sent together with expires_at; send only one of them'] });
  });

  it.each([-1, 1.5, '60', 1e12])('refuses expires_in %j', (expires_in) => {
    expect(
      expectIssues(importProps('linear_oauth2', { ...FIXTURES.linear_oauth2.valid, expires_in })).expires_in,
    ).toBeDefined();
  });

  it.each(['2026-11-27', 'tomorrow', '2026-11-27T00:00:00'])('refuses expires_at %j', (expires_at) => {
    expect(
      expectIssues(importProps('linear_oauth2', { ...FIXTURES.linear_oauth2.valid, expires_at })).expires_at,
    ).toEqual(['must be an ISO 8601 date-time with a time zone, such as 2026-11-26T22:10:52Z']);
  });

  it('is offered by every *_oauth2 kind and by no other', () => {
    const specs = createKindSpecs({});
    for (const [kind, spec] of Object.entries(specs)) {
      expect('expires_in' in spec.schema.shape, kind).toBe(kind.endsWith('_oauth2'));
      expect('expires_at' in spec.schema.shape, kind).toBe(kind.endsWith('_oauth2'));
    }
  });
});

describe('toValidationErrors', () => {
  it('splits unknown keys into one entry each and joins nested paths', () => {
    const schema = z.strictObject({ a: z.array(z.string()) });
    const parsed = schema.safeParse({ a: ['x', 1], b: 1, c: 2 });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    expect(
      Object.keys(toValidationErrors(parsed.error.issues, { unknownField: 'is not a known field' })).sort(),
    ).toEqual(['a.1', 'b', 'c']);
  });

  it('prefixes paths, names the whole value and says a missing field is required when asked', () => {
    const schema = z.strictObject({ a: z.string(), n: z.number() });
    const parsed = schema.safeParse({ n: 'x', extra: 1 });
    if (parsed.success) throw new Error('expected a failure');
    const errors = toValidationErrors(parsed.error.issues, {
      prefix: 'properties',
      unknownField: 'is not a field of this kind',
      sayRequired: true,
    });
    expect(errors['properties.a']).toEqual(['is required']);
    expect(errors['properties.extra']).toEqual(['is not a field of this kind']);
    expect(errors['properties.n']).toHaveLength(1);
    const whole = toValidationErrors([{ path: [], code: 'custom', message: 'must be an object' }], {
      unknownField: '-',
      wholeValue: '(body)',
    });
    expect(whole).toEqual({ '(body)': ['must be an object'] });
  });
});
