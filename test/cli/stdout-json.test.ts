/**
 * Scripts read the CLI's stdout: with --json (and for export, JSON Lines) stdout is JSON and
 * nothing else; progress, prompts and banners go to stderr (issue 14 item 7). The real binary,
 * over its node:http client (src/cli/node-client.ts), against a live server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, assertBuilt, runCliProcess, startLiveServer } from './live.js';

/** Every non-empty line of stdout parses as JSON; returns them. */
function jsonLines(stdout: string): unknown[] {
  const lines = stdout.split('\n').filter((l) => l !== '');
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((l) => JSON.parse(l) as unknown);
}

describe('CLI stdout is pure JSON', () => {
  let server: LiveServer;
  let dir: string;
  let env: Record<string, string>;
  let token: string;

  beforeAll(async () => {
    assertBuilt();
    server = await startLiveServer('postgres');
    dir = mkdtempSync(join(tmpdir(), 'credvault-stdout-'));
    token = (await server.newAccount('stdout')).token;
    env = { CREDVAULT_CONFIG: join(dir, 'config.json') };
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  it('login --json prints one JSON object; without --json its banner goes to stderr and stdout stays empty', async () => {
    const plain = await runCliProcess(['login', '--url', server.url, '--token', '-'], env, `${token}\n`);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/logged in to .* as account stdout/);
    const json = await runCliProcess(['login', '--url', server.url, '--token', '-', '--json'], env, `${token}\n`);
    expect(json.code, json.stderr).toBe(0);
    expect(jsonLines(json.stdout)).toEqual([
      { url: server.url, account: expect.objectContaining({ name: 'stdout' }), config: env.CREDVAULT_CONFIG },
    ]);
  });

  it('import --json: progress and per-line failures on stderr, the summary alone on stdout; then list, export, whoami, audit', async () => {
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ name: 'one', properties: { kind: 'stripe_key', secret: `sk_test_${'a'.repeat(24)}` } }),
        'not json',
        JSON.stringify({ name: 'two', properties: { kind: 'stripe_key', secret: `sk_test_${'b'.repeat(24)}` } }),
      ].join('\n'),
    );
    const imported = await runCliProcess(['credentials', 'import', file, '--json'], env);
    expect(imported.code).toBe(1); // one line failed
    expect(jsonLines(imported.stdout)).toEqual([{ total: 3, imported: 2, failed: 1 }]);
    expect(imported.stderr).toMatch(/line 2/);

    const list = await runCliProcess(['credentials', 'list', '--json'], env);
    expect(list.code, list.stderr).toBe(0);
    const [page] = jsonLines(list.stdout) as [{ data: Array<{ name: string }> }];
    expect(page.data.map((c) => c.name).sort()).toEqual(['one', 'two']);

    const exported = await runCliProcess(['credentials', 'export'], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect((jsonLines(exported.stdout) as Array<{ name: string }>).map((c) => c.name).sort()).toEqual(['one', 'two']);

    for (const args of [
      ['whoami', '--json'],
      ['audit', 'list', '--json'],
      ['oauth-apps', 'list', '--json'],
    ]) {
      const r = await runCliProcess(args, env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(jsonLines(r.stdout), args.join(' ')).toHaveLength(1);
    }
  });

  it('a failure leaves stdout empty and says why on stderr (exit 1)', async () => {
    const missing = await runCliProcess(['credentials', 'get', randomUUID(), '--json'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/credvault answered 404/);
    const unreachable = await runCliProcess(['credentials', 'list', '--json', '--url', 'http://127.0.0.1:9'], {
      ...env,
      CREDVAULT_TOKEN: token,
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toMatch(/cannot reach credvault at http:\/\/127\.0\.0\.1:9 \(connect ECONNREFUSED/);
  });
});
