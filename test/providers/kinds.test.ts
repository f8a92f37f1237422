import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createKindSpecs, KIND_SPECS, kindSpec, providerOf, resolveKind } from '../../src/providers/registry.js';
import { KINDS, PROVIDERS, type Kind } from '../../src/providers/registry.js';
import { ALIASES, ctx, FIXTURES } from './fixtures.js';
import { expectIssues, expectOk, importProps, without } from './helpers.js';

const MASK = '***********';

describe('registry', () => {
  it('has one spec per kind, filed under its own name', () => {
    expect(Object.keys(KIND_SPECS).sort()).toEqual([...KINDS].sort());
    for (const kind of KINDS) expect(KIND_SPECS[kind].kind).toBe(kind);
    expect(Object.keys(createKindSpecs({})).sort()).toEqual([...KINDS].sort());
  });

  it('uses every provider of types.ts', () => {
    expect(new Set(KINDS.map((k) => providerOf(k)))).toEqual(new Set(PROVIDERS));
  });

  it.each(Object.entries(ALIASES))('resolves alias %s to %s', (alias, kind) => {
    expect(resolveKind(alias)).toBe(kind);
  });

  it('resolves each canonical name to itself', () => {
    for (const kind of KINDS) expect(resolveKind(kind)).toBe(kind);
  });

  it('declares exactly the aliases of kinds.md', () => {
    const declared = KINDS.flatMap((k) => KIND_SPECS[k].aliases.map((a) => [a, k]));
    expect(Object.fromEntries(declared)).toEqual(ALIASES);
  });

  it.each(['', 'Stripe', 'stripe_key ', 'constructor', '__proto__', 'toString', 'oauth2'])(
    'does not resolve %j',
    (input) => {
      expect(resolveKind(input)).toBeUndefined();
    },
  );

  it('kindSpec answers the spec of a kind', () => {
    expect(kindSpec('github_app')).toBe(KIND_SPECS.github_app);
    const custom = createKindSpecs({ extraHosts: { salesforce: ['example.gov'] } });
    expect(kindSpec('salesforce_oauth2', custom)).toBe(custom.salesforce_oauth2);
  });
});

describe.each(KINDS)('%s', (kind) => {
  const f = FIXTURES[kind];
  const spec = kindSpec(kind);

  it('declares provider, secrets, OAuth app and refreshability as kinds.md', () => {
    expect(spec.provider).toBe(f.provider);
    expect(providerOf(kind)).toBe(f.provider);
    expect([...spec.secretFields].sort()).toEqual([...f.secrets].sort());
    expect(spec.oauthApp).toBe(f.oauthApp);
    expect(spec.accessToken.from).toBe(f.tokenFrom);
    // A token answered from a field is one of the kind's secrets.
    if (spec.accessToken.from === 'field') expect(f.secrets).toContain(spec.tokenField);
  });

  it('parses a valid example and gives the expected identity', () => {
    const { identity } = expectOk(importProps(kind, f.valid));
    expect(identity.value).toBe(f.identity);
    expect(identity.secretField).toBe(f.identitySecret);
  });

  it('gives the same identity on re-import', () => {
    const a = expectOk(importProps(kind, f.valid));
    const b = expectOk(importProps(kind, structuredClone(f.valid)));
    expect(b.identity).toEqual(a.identity);
  });

  it('has exactly the fields of kinds.md', () => {
    const expiry = kind.endsWith('_oauth2') ? ['expires_at', 'expires_in'] : [];
    expect(Object.keys(spec.schema.shape).sort()).toEqual([...f.required, ...f.optional, ...expiry].sort());
  });

  it('requires exactly the req fields', () => {
    const required = Object.entries(spec.schema.shape)
      .filter(([, field]) => !field.safeParse(undefined).success)
      .map(([name]) => name);
    expect(required.sort()).toEqual([...f.required].sort());
  });

  it.each(f.required)('refuses a missing %s at its path', (field) => {
    const issues = expectIssues(importProps(kind, without(f.valid, field)));
    expect(issues[field]).toEqual(['is required']);
    expect(Object.keys(issues)).toEqual([field]);
  });

  it('refuses unknown fields, kind included, one entry per field', () => {
    const issues = expectIssues(importProps(kind, { ...f.valid, kind, bogus: 1 }));
    expect(Object.keys(issues).sort()).toEqual(['bogus', 'kind']);
    expect(issues.bogus?.[0]).toMatch(new RegExp(`^is not a field of ${kind}; its fields are `));
  });

  it('refuses a wrong type at the field path, for every field', () => {
    for (const field of Object.keys(spec.schema.shape)) {
      const issues = expectIssues(importProps(kind, { ...f.valid, [field]: { nested: true } }));
      expect(Object.keys(issues), field).toEqual([field]);
      expect(issues[field]?.[0], field).toMatch(/^must /);
    }
  });

  it('refuses a non-object', () => {
    for (const input of [null, 'x', 42, []]) {
      expect(spec.schema.safeParse(input).success).toBe(false);
    }
  });

  it('refuses the mask itself where the secret has a format', () => {
    if (kind === 'stripe_key' || kind === 'sendgrid_key') {
      for (const field of f.secrets) expect(spec.schema.safeParse({ ...f.valid, [field]: MASK }).success).toBe(false);
    }
  });

  it('never echoes a secret in an error', () => {
    for (const field of f.secrets) {
      const canary = `CANARY${field}9f8e7d`;
      const bad = { ...f.valid, [field]: canary, bogus: canary, [`x_${field}`]: 1 };
      const parsed = spec.schema.safeParse(bad);
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).not.toContain(canary);
      const result = importProps(kind, { ...f.valid, [field]: canary, bogus: true });
      expect(JSON.stringify(expectIssues(result))).not.toContain(canary);
    }
  });

  it('is deterministic for the fingerprint', () => {
    const { identity } = expectOk(importProps(kind, f.valid));
    if (f.identitySecret !== undefined) {
      const secret = f.valid[f.identitySecret];
      expect(identity.value).toBe(`fp:${ctx.fingerprint(String(secret))}`);
    } else {
      expect(identity.value).not.toMatch(/^fp:/);
    }
  });
});

/** What the service does with a masked secret: drop it and parse with that field optional. */
const S = KIND_SPECS;
const MASKED: Record<Kind, [string, () => z.ZodObject][]> = {
  stripe_key: [['secret', () => S.stripe_key.schema.partial({ secret: true })]],
  stripe_oauth2: [
    ['access_token', () => S.stripe_oauth2.schema.partial({ access_token: true })],
    ['refresh_token', () => S.stripe_oauth2.schema.partial({ refresh_token: true })],
  ],
  salesforce_oauth2: [
    ['refresh_token', () => S.salesforce_oauth2.schema.partial({ refresh_token: true })],
    ['access_token', () => S.salesforce_oauth2.schema.partial({ access_token: true })],
  ],
  hubspot_oauth2: [
    ['refresh_token', () => S.hubspot_oauth2.schema.partial({ refresh_token: true })],
    ['access_token', () => S.hubspot_oauth2.schema.partial({ access_token: true })],
  ],
  github_app: [],
  airtable_oauth2: [
    ['refresh_token', () => S.airtable_oauth2.schema.partial({ refresh_token: true })],
    ['access_token', () => S.airtable_oauth2.schema.partial({ access_token: true })],
  ],
  linear_oauth2: [
    ['access_token', () => S.linear_oauth2.schema.partial({ access_token: true })],
    ['refresh_token', () => S.linear_oauth2.schema.partial({ refresh_token: true })],
  ],
  checkout_champ_password: [['password', () => S.checkout_champ_password.schema.partial({ password: true })]],
  shopify_oauth2: [['access_token', () => S.shopify_oauth2.schema.partial({ access_token: true })]],
  quickbooks_oauth2: [
    ['refresh_token', () => S.quickbooks_oauth2.schema.partial({ refresh_token: true })],
    ['access_token', () => S.quickbooks_oauth2.schema.partial({ access_token: true })],
  ],
  netsuite_tba: [
    ['consumer_secret', () => S.netsuite_tba.schema.partial({ consumer_secret: true })],
    ['token_secret', () => S.netsuite_tba.schema.partial({ token_secret: true })],
  ],
  marketo_client_credentials: [
    ['client_secret', () => S.marketo_client_credentials.schema.partial({ client_secret: true })],
  ],
  sendgrid_key: [['api_key', () => S.sendgrid_key.schema.partial({ api_key: true })]],
  servicenow_oauth2: [['refresh_token', () => S.servicenow_oauth2.schema.partial({ refresh_token: true })]],
  workday_oauth2: [['refresh_token', () => S.workday_oauth2.schema.partial({ refresh_token: true })]],
  auth0_client_credentials: [
    ['client_secret', () => S.auth0_client_credentials.schema.partial({ client_secret: true })],
  ],
};

describe.each(KINDS)('%s with a masked secret', (kind) => {
  const f = FIXTURES[kind];

  it('covers every secret field', () => {
    expect(MASKED[kind].map(([field]) => field).sort()).toEqual([...f.secrets].sort());
  });

  it.each(MASKED[kind])('parses without %s through schema.partial', (field, partial) => {
    const schema = partial();
    expect(schema.safeParse(without(f.valid, field)).success).toBe(true);
    // Still strict, and the other required fields stay required.
    expect(schema.safeParse({ ...without(f.valid, field), bogus: 1 }).success).toBe(false);
    for (const other of f.required.filter((r) => r !== field)) {
      expect(schema.safeParse(without(without(f.valid, field), other)).success, other).toBe(false);
    }
  });
});

describe('linear_oauth2 with only a refresh token (issue 13 item 10)', () => {
  it('is accepted and identified by its refresh token until the provider names the org', () => {
    const { identity } = expectOk(importProps('linear_oauth2', { refresh_token: 'lin_rt_only', scope: 'read' }));
    expect(identity).toMatchObject({ value: expect.stringMatching(/^fp:/), secretField: 'refresh_token' });
  });
  it('needs one of the two tokens', () => {
    const issues = expectIssues(importProps('linear_oauth2', { scope: 'read' }));
    expect(issues.access_token?.[0]).toMatch(/refresh_token/);
  });
});
