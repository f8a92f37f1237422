/**
 * The kind spine (docs/architecture.md): what each kind declares as data, and what is derived
 * from the registries, so a new kind is covered without editing a second list.
 */
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../src/http/logger.js';
import { tenantHostsOf } from '../../src/net/tenant.js';
import { mergeLearned } from '../../src/providers/learned.js';
import { KIND_SPECS, KINDS, PROVIDERS, SECRET_FIELD_NAMES } from '../../src/providers/registry.js';
import { PROVIDER_MODULES } from '../../src/providers/api/index.js';
import { FIXTURES } from './fixtures.js';
import { importProps, expectOk } from './helpers.js';

describe('the kind spine', () => {
  it('derives KINDS and PROVIDERS from the registries', () => {
    expect(KINDS).toEqual(Object.keys(KIND_SPECS));
    expect(PROVIDERS).toEqual(Object.keys(PROVIDER_MODULES));
    expect([...PROVIDERS].sort()).toEqual([...PROVIDERS]);
  });

  it.each(KINDS)(
    '%s declares token, expiry and learnable fields among its own, never a secret as learnable',
    (kind) => {
      const spec = KIND_SPECS[kind];
      const fields = Object.keys(spec.schema.shape);
      const secrets: readonly string[] = spec.secretFields;
      for (const f of spec.learnable) {
        expect(fields).toContain(f);
        expect(secrets).not.toContain(f);
      }
      if (spec.tokenField !== null) {
        expect(fields).toContain(spec.tokenField);
        expect(secrets).toContain(spec.tokenField);
      }
      if (spec.expiryField !== null) expect(fields).toContain(spec.expiryField);
      // A token answered from a field needs that field; a kind without a token has no token field.
      if (spec.accessToken.from === 'field') expect(spec.tokenField).not.toBeNull();
      if (spec.accessToken.from === 'none' || spec.accessToken.from === 'mint') expect(spec.tokenField).toBeNull();
      for (const h of spec.tenantHosts) expect(fields).toContain(h.field);
    },
  );

  it.each(KINDS)('%s names its tenant hosts from a valid import', (kind) => {
    const props = expectOk(importProps(kind, FIXTURES[kind].valid)).props;
    const hosts = tenantHostsOf(KIND_SPECS[kind], props);
    expect(hosts.map((h) => h.field)).toEqual(KIND_SPECS[kind].tenantHosts.map((h) => h.field));
    for (const { host } of hosts) expect(host).toMatch(/^[a-z0-9.-]+$/);
  });

  it('vets the tenant-hosted kinds and only those', () => {
    const hosted = KINDS.filter((k) => KIND_SPECS[k].tenantHosts.length > 0).sort();
    expect(hosted).toEqual([
      'auth0_client_credentials',
      'marketo_client_credentials',
      'netsuite_tba',
      'salesforce_oauth2',
      'servicenow_oauth2',
      'shopify_oauth2',
      'workday_oauth2',
    ]);
    expect(tenantHostsOf(KIND_SPECS.netsuite_tba, { account_id: '1234567_SB1' })).toEqual([
      { field: 'account_id', host: '1234567-sb1.suitetalk.api.netsuite.com' },
    ]);
    expect(tenantHostsOf(KIND_SPECS.marketo_client_credentials, { munchkin_id: '123-ABC-456' })).toEqual([
      { field: 'munchkin_id', host: '123-abc-456.mktorest.com' },
    ]);
    expect(tenantHostsOf(KIND_SPECS.salesforce_oauth2, { instance_url: 'not a url' })).toEqual([]);
    expect(tenantHostsOf(KIND_SPECS.salesforce_oauth2, { instance_url: '' })).toEqual([]);
  });

  it('merges only learnable fields of what a provider answers', () => {
    const merged = mergeLearned(
      KIND_SPECS.salesforce_oauth2,
      { instance_url: 'https://a.my.salesforce.com', refresh_token: 'x' },
      {
        org_id: '00D1',
        user_id: '0051',
        refresh_token: 'from-provider',
        unknown_field: 1,
      },
    );
    expect(merged).toEqual({
      instance_url: 'https://a.my.salesforce.com',
      refresh_token: 'x',
      org_id: '00D1',
      user_id: '0051',
    });
    expect(mergeLearned(KIND_SPECS.stripe_oauth2, { stripe_user_id: 'acct_1' }, { account_id: 'acct_1' })).toEqual({
      stripe_user_id: 'acct_1',
    });
    expect(mergeLearned(KIND_SPECS.stripe_key, {}, undefined)).toEqual({});
  });

  it('redacts every secret field of every kind in logs, at one and two levels', () => {
    expect(SECRET_FIELD_NAMES.length).toBeGreaterThan(5);
    for (const kind of KINDS) {
      for (const f of KIND_SPECS[kind].secretFields) {
        expect(REDACT_PATHS).toContain(`*.${f}`);
        expect(REDACT_PATHS).toContain(`*.*.${f}`);
      }
    }
    expect(REDACT_PATHS).toContain('req.headers.authorization');
  });
});
