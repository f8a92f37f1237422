/** The data commands of the real binary against a live server: export → import round trips, and each command once. */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredvaultClient, createCredvaultClient, unwrap } from '../../src/client/index.js';
import { type LiveServer, assertBuilt, runCliProcess, startLiveServer } from './live.js';

type Exported = {
  name: string | null;
  properties: Record<string, unknown>;
  oauth_app_id: string | null;
  metadata: Record<string, unknown>;
};
const parseLines = (text: string): Exported[] =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Exported);
const byProps = (a: Exported, b: Exported) => JSON.stringify(a.properties).localeCompare(JSON.stringify(b.properties));

describe('credentials export and the other data commands on a live server', () => {
  let server: LiveServer;
  let dir: string;
  let a: { id: string; token: string };
  let client: CredvaultClient;
  const apps: Record<string, string> = {};

  beforeAll(async () => {
    assertBuilt();
    server = await startLiveServer('postgres');
    dir = mkdtempSync(join(tmpdir(), 'credvault-export-'));
    a = await server.newAccount('source');
    client = createCredvaultClient({ url: server.url, token: a.token });
    for (const provider of ['salesforce', 'hubspot'] as const) {
      const app = await unwrap(
        client.POST('/v1/oauth-apps', {
          body: { name: `${provider} app`, provider, client_id: `id-${provider}`, client_secret: `secret-${provider}` },
        }),
      );
      apps[provider] = app.id;
    }
    const res = await unwrap(
      client.POST('/v1/credentials/bulk', {
        body: {
          items: [
            {
              name: 'Choam',
              metadata: { team: 'billing', n: 1 },
              properties: { kind: 'stripe_key', secret: 'sk_live_export_1', account_id: 'acct_export1' },
            },
            {
              oauth_app_id: apps.salesforce,
              properties: {
                kind: 'salesforce',
                instance_url: 'https://exp.my.salesforce.com',
                refresh_token: 'rt-sf',
                access_token: 'at-sf',
                expires_at: '2030-01-01T00:00:00Z',
                org_id: '00D1',
              },
            },
            {
              oauth_app_id: apps.hubspot,
              name: 'Hub',
              properties: { kind: 'hubspot', hub_id: 42, refresh_token: 'rt-hub', scopes: ['crm'] },
            },
            { properties: { kind: 'sendgrid_key', api_key: 'SG.export.key' } },
            {
              properties: {
                kind: 'netsuite_tba',
                account_id: '123456',
                consumer_key: 'ck',
                consumer_secret: 'cs',
                token_id: 'tid',
                token_secret: 'ts',
              },
            },
            ...Array.from({ length: 30 }, (_, i) => ({
              properties: {
                kind: 'auth0_client_credentials' as const,
                domain: 'acme.auth0.com',
                client_id: `c${i}`,
                client_secret: `s${i}`,
              },
            })),
          ],
        },
      }),
    );
    expect(res.results.every((r) => r.status === 200)).toBe(true);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const env = (token: string) => ({ CREDVAULT_URL: server.url, CREDVAULT_TOKEN: token });

  it('export --include-secrets, import into a second account: the credentials match field by field', async () => {
    const out = join(dir, 'a.jsonl');
    const exp = await runCliProcess(
      ['credentials', 'export', '--include-secrets', '--out', out, '--page-size', '7', '--json'],
      env(a.token),
    );
    expect(exp.stderr).toBe('exported 35 credential(s) to ' + out + '\n');
    expect(exp.code).toBe(0);
    expect(JSON.parse(exp.stdout)).toEqual({ exported: 35, out });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const source = parseLines(readFileSync(out, 'utf8'));
    expect(source.find((e) => e.name === 'Choam')?.properties.secret).toBe('sk_live_export_1');

    const b = await server.newAccount('target');
    const bClient = createCredvaultClient({ url: server.url, token: b.token });
    const bApps: Record<string, string> = {};
    for (const provider of ['salesforce', 'hubspot'] as const) {
      bApps[provider] = (
        await unwrap(
          bClient.POST('/v1/oauth-apps', { body: { name: 'b', provider, client_id: 'b', client_secret: 'b' } }),
        )
      ).id;
    }
    const imp = await runCliProcess(
      [
        'credentials',
        'import',
        out,
        '--oauth-app',
        `salesforce=${bApps.salesforce}`,
        '--oauth-app',
        `hubspot=${bApps.hubspot}`,
      ],
      env(b.token),
    );
    expect(imp.stderr).toContain('35 of 35 lines imported, 0 failed');
    expect(imp.code).toBe(0);

    const again = await runCliProcess(['credentials', 'export', '--include-secrets'], env(b.token));
    expect(again.code).toBe(0);
    const target = parseLines(again.stdout);
    const appMap = new Map([
      [apps.salesforce, bApps.salesforce],
      [apps.hubspot, bApps.hubspot],
    ]);
    const expected = source.map((e) => ({
      ...e,
      oauth_app_id: e.oauth_app_id ? (appMap.get(e.oauth_app_id) ?? 'unmapped') : null,
    }));
    expect(target.sort(byProps)).toEqual(expected.sort(byProps));
  });

  it('a masked export re-imports unchanged into the same account and keeps every secret', async () => {
    const masked = await runCliProcess(['credentials', 'export'], env(a.token));
    expect(masked.code).toBe(0);
    expect(masked.stdout).not.toContain('sk_live_export_1');
    expect(masked.stdout).toContain('"secret":"***********"');
    const before = await runCliProcess(['credentials', 'export', '--include-secrets'], env(a.token));
    // A credential identified by a fingerprint of its secret (sendgrid_key) cannot be found from
    // a mask (api.md §3.8): that line is reported, the others keep their stored secrets.
    const imp = await runCliProcess(['credentials', 'import', '-'], env(a.token), masked.stdout);
    expect(imp.stderr).toContain('34 of 35 lines imported, 1 failed');
    expect(imp.stderr).toMatch(
      /line \d+: A masked secret cannot identify a credential; send the real value\. \(properties\.api_key: /,
    );
    expect(imp.code).toBe(1);
    const withoutSendgrid = masked.stdout
      .split('\n')
      .filter((l) => !l.includes('sendgrid_key'))
      .join('\n');
    const clean = await runCliProcess(['credentials', 'import', '-'], env(a.token), withoutSendgrid);
    expect(clean.stderr).toContain('34 of 34 lines imported, 0 failed');
    expect(clean.code).toBe(0);
    const after = await runCliProcess(['credentials', 'export', '--include-secrets'], env(a.token));
    expect(parseLines(after.stdout).sort(byProps)).toEqual(parseLines(before.stdout).sort(byProps));
  });

  it('export --include-secrets without secrets:reveal fails with the 403 summary (exit 1)', async () => {
    const limited = await unwrap(client.POST('/v1/api-tokens', { body: { name: 'ro', scopes: ['credentials:read'] } }));
    const run = await runCliProcess(['credentials', 'export', '--include-secrets'], env(limited.token));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('credvault answered 403');
    expect(run.stderr).toContain('secrets:reveal');
    expect(run.stdout).toBe('');
  });

  it('list, get, delete, oauth-apps, tokens and accounts work with --json', async () => {
    const e = env(a.token);
    const list = await runCliProcess(['credentials', 'list', '--provider', 'stripe', '--json'], e);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { data: { id: string; name: string }[] };
    expect(listed.data.map((c) => c.name)).toEqual(['Choam']);
    const all = await runCliProcess(['credentials', 'list', '--all', '--limit', '4', '--json'], e);
    expect((JSON.parse(all.stdout) as { data: unknown[] }).data).toHaveLength(35);
    const table = await runCliProcess(['credentials', 'list', '--kind', 'hubspot_oauth2'], e);
    expect(table.stdout).toMatch(/^ID\s+KIND\s+NAME\s+HEALTH\s+CREATED_AT\n.*hubspot_oauth2\s+Hub\s+pending/);
    const id = listed.data[0]?.id ?? '';
    const got = await runCliProcess(['credentials', 'get', id, '--json'], e);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, kind: 'stripe_key', properties: { secret: '***********' } });
    const missing = await runCliProcess(['credentials', 'get', '7d1c2d6e-8b1a-4c3e-9f0a-123456789abc'], e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('credvault answered 404');

    const secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, 'from-stdin-secret\n');
    const created = await runCliProcess(
      [
        'oauth-apps',
        'create',
        '--name',
        'Linear',
        '--provider',
        'linear',
        '--client-id',
        'lin',
        '--client-secret',
        '-',
        '--metadata',
        '{"env":"prod"}',
        '--json',
      ],
      e,
      readFileSync(secretFile, 'utf8'),
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      provider: 'linear',
      client_secret: '**********',
      metadata: { env: 'prod' },
    });
    const appList = await runCliProcess(['oauth-apps', 'list', '--provider', 'linear', '--json'], e);
    expect((JSON.parse(appList.stdout) as { data: unknown[] }).data).toHaveLength(1);
    const invalid = await runCliProcess(
      [
        'oauth-apps',
        'create',
        '--name',
        'x',
        '--provider',
        'stripe',
        '--client-id',
        'c',
        '--client-secret',
        's',
        '--settings',
        '{"n":{"deep":1}}',
      ],
      e,
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/credvault answered 422[\s\S]*settings\.n/);

    const del = await runCliProcess(['credentials', 'delete', id], e);
    expect(del.stdout).toBe(`deleted ${id}\n`);

    const tok = await runCliProcess(
      ['tokens', 'create', '--name', 'ci', '--scope', 'credentials:read', 'credentials:write'],
      e,
    );
    expect(tok.code).toBe(0);
    const plaintext = tok.stdout.trim();
    const tokList = await runCliProcess(['tokens', 'list', '--json'], e);
    const tokens = (JSON.parse(tokList.stdout) as { data: { id: string; name: string; scopes: string[] }[] }).data;
    const ci = tokens.find((t) => t.name === 'ci');
    expect(ci?.scopes).toEqual(['credentials:read', 'credentials:write']);
    expect(tokList.stdout).not.toContain(plaintext);
    expect((await runCliProcess(['credentials', 'list', '--json'], env(plaintext))).code).toBe(0);
    const revoked = await runCliProcess(['tokens', 'revoke', ci?.id ?? '', '--json'], e);
    expect(JSON.parse(revoked.stdout)).toEqual({ id: ci?.id, revoked: true });
    const afterRevoke = await runCliProcess(['credentials', 'list'], env(plaintext));
    expect(afterRevoke.code).toBe(1);
    expect(afterRevoke.stderr).toContain('credvault answered 401');

    const notAdmin = await runCliProcess(['accounts', 'create', '--name', 'x'], e);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('credvault answered 403');
    const { BOOTSTRAP_TOKEN } = await import('../support/harness.js');
    const acct = await runCliProcess(['accounts', 'create', '--name', 'from-cli', '--json'], env(BOOTSTRAP_TOKEN));
    expect(acct.code).toBe(0);
    const newAccount = JSON.parse(acct.stdout) as { name: string; token: { token: string } };
    expect(newAccount.name).toBe('from-cli');
    const empty = await runCliProcess(['credentials', 'list', '--json'], env(newAccount.token.token));
    expect(JSON.parse(empty.stdout)).toEqual({ data: [], next_cursor: null });
  });
});
