import { describe, expect, it } from 'vitest';
import { hostMatchesSuffixes, isForbiddenHostName, validateTenantHost } from '../../src/net/hosts.js';

const SALESFORCE = ['salesforce.com', 'force.com', 'salesforce.mil'];

describe('hostMatchesSuffixes', () => {
  it.each([
    ['acme.my.salesforce.com', true],
    ['salesforce.com', true],
    ['ACME.My.SalesForce.COM.', true],
    ['acme.lightning.force.com', true],
    ['evilsalesforce.com', false],
    ['salesforce.com.evil.com', false],
    ['evil.com', false],
    ['127.0.0.1', false],
    ['', false],
  ] as const)('%s → %s', (host, expected) => {
    expect(hostMatchesSuffixes(host, SALESFORCE)).toBe(expected);
  });

  it('normalizes suffixes (case, leading and trailing dots)', () => {
    expect(hostMatchesSuffixes('x.Example.GOV', ['.example.gov.'])).toBe(true);
  });

  it('never matches an IP literal, even against a numeric suffix', () => {
    expect(hostMatchesSuffixes('10.0.0.1', ['0.1'])).toBe(false);
  });
});

describe('isForbiddenHostName', () => {
  it.each([
    'localhost',
    'LOCALHOST.',
    'app.localhost',
    'metadata.google.internal',
    'ip-10-0-0-1.ec2.internal',
    'printer.local',
    'metadata',
    'router.home.arpa',
    '1.0.0.127.in-addr.arpa',
  ])('%s is forbidden', (host) => {
    expect(isForbiddenHostName(host)).toBe(true);
  });
  it.each(['api.stripe.com', 'acme.my.salesforce.com'])('%s is not', (host) => {
    expect(isForbiddenHostName(host)).toBe(false);
  });
});

describe('validateTenantHost', () => {
  it('accepts a Salesforce My Domain host and normalizes it', () => {
    expect(validateTenantHost('Acme.My.Salesforce.com.', SALESFORCE)).toEqual({
      ok: true,
      host: 'acme.my.salesforce.com',
    });
  });

  it('names the allowed suffixes in a sentence a person can act on', () => {
    expect(validateTenantHost('evil.com', SALESFORCE, 'instance_url host')).toEqual({
      ok: false,
      reason: 'instance_url host must end in salesforce.com, force.com or salesforce.mil',
    });
    expect(validateTenantHost('evil.com', ['myshopify.com'])).toEqual({
      ok: false,
      reason: 'host must end in myshopify.com',
    });
  });

  it.each(['evil.com', 'salesforce.com.evil.com', 'evilsalesforce.com'])('refuses %s (suffix)', (host) => {
    const r = validateTenantHost(host, SALESFORCE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/must end in/);
  });

  it.each([
    '127.0.0.1',
    '2130706433',
    '0x7f000001',
    '0177.0.0.1',
    '127.1',
    '[::1]',
    '::ffff:127.0.0.1',
    '169.254.169.254',
    '8.8.8.8',
    '1.2.3.09',
    'acme.0x10',
  ])('refuses the IP literal %s', (host) => {
    expect(validateTenantHost(host, SALESFORCE)).toEqual({
      ok: false,
      reason: 'host must be a DNS name, not an IP address',
    });
  });

  it.each(['localhost', 'app.localhost', 'metadata.google.internal', 'x.salesforce.com.internal'])(
    'refuses the local name %s',
    (host) => {
      const r = validateTenantHost(host, [...SALESFORCE, 'internal', 'localhost', 'salesforce.com.internal']);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/local or internal/);
    },
  );

  it.each([
    'https://acme.my.salesforce.com',
    'acme.my.salesforce.com:443',
    'acme.my.salesforce.com/x',
    'user@acme.my.salesforce.com',
    'acme my.salesforce.com',
    'ácme.my.salesforce.com',
  ])('refuses %s (not a bare host name)', (host) => {
    const r = validateTenantHost(host, SALESFORCE);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/only letters, digits, dots and hyphens/);
  });

  it.each(['a..salesforce.com', '-a.salesforce.com', `${'a'.repeat(64)}.salesforce.com`, '.salesforce.com'])(
    'refuses the malformed name %s',
    (host) => {
      const r = validateTenantHost(host, SALESFORCE);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/not a valid host name/);
    },
  );

  it('honors an extra suffix (CREDVAULT_PROVIDER_HOSTS_SALESFORCE)', () => {
    expect(validateTenantHost('agency.my.salesforce.gov', SALESFORCE).ok).toBe(false);
    expect(validateTenantHost('agency.my.salesforce.gov', [...SALESFORCE, 'salesforce.gov'])).toEqual({
      ok: true,
      host: 'agency.my.salesforce.gov',
    });
  });

  it('refuses everything when no suffix is allowed', () => {
    expect(validateTenantHost('acme.example.com', []).ok).toBe(false);
  });

  it('refuses an empty host', () => {
    expect(validateTenantHost('', SALESFORCE)).toEqual({ ok: false, reason: 'host is empty' });
  });
});
