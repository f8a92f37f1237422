/**
 * The operator commands of the real binary against a live server: login (0600 config file)
 * and whoami, credentials check / access-token / rename / update, oauth-apps update / delete,
 * audit list, and export --out refusing to replace a file without --force.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredvaultClient, createCredvaultClient, unwrap } from '../../src/client/index.js';
import { type LiveServer, assertBuilt, runCliProcess, startLiveServer } from './live.js';

describe('CLI session and operator commands on a live server', () => {
  let server: LiveServer;
  let dir: string;
  let a: { id: string; token: string };
  let client: CredvaultClient;
  let config: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    server = await startLiveServer('postgres');
    dir = mkdtempSync(join(tmpdir(), 'credvault-session-'));
    config = join(dir, 'cfg', 'config.json');
    a = await server.newAccount('session');
    client = createCredvaultClient({ url: server.url, token: a.token });
    // Only the config file: no CREDVAULT_URL / CREDVAULT_TOKEN.
    env = { CREDVAULT_CONFIG: config };
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  it('login checks the token, stores URL and token 0600, and later commands use them; a bad token stores nothing', async () => {
    const bad = await runCliProcess(['login', '--url', server.url, '--token', '-'], env, 'cv_live_not-a-token\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('credvault answered 401');
    expect(existsSync(config)).toBe(false);

    const ok = await runCliProcess(['login', '--url', server.url, '--token', '-'], env, `${a.token}\n`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ url: server.url, token: a.token });
    expect(ok.stdout).not.toContain(a.token);

    const who = await runCliProcess(['whoami', '--json'], env);
    expect(who.code, who.stderr).toBe(0);
    const w = JSON.parse(who.stdout) as { url: string; account: { id: string; name: string }; token_prefix: string };
    expect(w).toMatchObject({ url: server.url, account: { id: a.id, name: 'session' } });
    expect(a.token.startsWith(w.token_prefix)).toBe(true);
    expect(who.stdout).not.toContain(a.token);

    // A --url other than the stored one does not get the stored token.
    const elsewhere = await runCliProcess(['whoami', '--url', 'http://127.0.0.1:9'], env);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('no API token');
  });

  it('credentials check, access-token, rename and update; audit list shows the reveal', async () => {
    const cred = await unwrap(
      client.POST('/v1/credentials', { body: { properties: { kind: 'sendgrid_key', api_key: 'SG.session.key' } } }),
    );
    const run = (args: string[], input?: string) =>
      runCliProcess(
        args,
        { CREDVAULT_URL: server.url, CREDVAULT_TOKEN: a.token, CREDVAULT_CONFIG: join(dir, 'none.json') },
        input,
      );

    const check = await run(['credentials', 'check', cred.id, '--json']);
    const checked = JSON.parse(check.stdout) as { id: string; health: { status: string; checked_at: string | null } };
    expect(checked.id).toBe(cred.id);
    expect(checked.health.checked_at).not.toBeNull();
    expect(check.code).toBe(checked.health.status === 'error' ? 1 : 0);

    const token = await run(['credentials', 'access-token', cred.id]);
    expect(token.code, token.stderr).toBe(0);
    expect(token.stdout).toBe('SG.session.key\n');

    expect((await run(['credentials', 'rename', cred.id, 'Mailer'])).code).toBe(0);
    expect((await unwrap(client.GET('/v1/credentials/{id}', { params: { path: { id: cred.id } } }))).name).toBe(
      'Mailer',
    );

    const stale = await run(['credentials', 'update', cred.id, '--metadata', '{"team":"ops"}', '--if-match', '"v1"']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('credvault answered 412');
    const upd = await run(['credentials', 'update', cred.id, '--metadata', '{"team":"ops"}', '--name', '']);
    expect(upd.code, upd.stderr).toBe(0);
    const after = await unwrap(client.GET('/v1/credentials/{id}', { params: { path: { id: cred.id } } }));
    expect(after).toMatchObject({ name: null, metadata: { team: 'ops' } });
    expect((await run(['credentials', 'update', cred.id])).code).toBe(2);

    const audit = await run(['audit', 'list', '--json', '--all']);
    expect(audit.code, audit.stderr).toBe(0);
    const events = (JSON.parse(audit.stdout) as { data: { action: string; credential_id: string | null }[] }).data;
    expect(events.some((e) => e.credential_id === cred.id && /reveal|access_token/.test(e.action))).toBe(true);
    expect(audit.stdout).not.toContain('SG.session.key');
  });

  it('oauth-apps update (secret from standard input) and delete', async () => {
    const run = (args: string[], input?: string) =>
      runCliProcess(
        args,
        { CREDVAULT_URL: server.url, CREDVAULT_TOKEN: a.token, CREDVAULT_CONFIG: join(dir, 'none.json') },
        input,
      );
    const app = await unwrap(
      client.POST('/v1/oauth-apps', {
        body: { name: 'App', provider: 'hubspot', client_id: 'cid', client_secret: 'old-secret' },
      }),
    );
    const upd = await run(
      ['oauth-apps', 'update', app.id, '--name', 'Renamed', '--client-secret', '-'],
      'new-secret\n',
    );
    expect(upd.code, upd.stderr).toBe(0);
    const list = await unwrap(client.GET('/v1/oauth-apps', { params: { query: { truncate_secrets: 'false' } } }));
    expect(list.data.find((x) => x.id === app.id)).toMatchObject({ name: 'Renamed', client_secret: 'new-secret' });
    expect((await run(['oauth-apps', 'update', app.id])).code).toBe(2);
    const del = await run(['oauth-apps', 'delete', app.id, '--json']);
    expect(del.code, del.stderr).toBe(0);
    expect(JSON.parse(del.stdout)).toEqual({ id: app.id, deleted: true });
  });

  it('export --out refuses to replace an existing file unless --force', async () => {
    const out = join(dir, 'backup.jsonl');
    writeFileSync(out, 'the previous backup\n');
    const e = { CREDVAULT_URL: server.url, CREDVAULT_TOKEN: a.token, CREDVAULT_CONFIG: join(dir, 'none.json') };
    const refused = await runCliProcess(['credentials', 'export', '--out', out], e);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('exists: pass --force');
    expect(readFileSync(out, 'utf8')).toBe('the previous backup\n');
    const forced = await runCliProcess(['credentials', 'export', '--out', out, '--force'], e);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('"kind":"sendgrid_key"');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
