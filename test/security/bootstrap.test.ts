/** CREDVAULT_BOOTSTRAP_TOKEN validation, the "set but ignored" warning, listed prefixes, and `credvault tokens bootstrap`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateApiToken } from '../../src/accounts/tokens.js';
import { runCli } from '../../src/cli/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createRuntime } from '../../src/main.js';
import { BOOTSTRAP_TOKEN, captureLogger, testConfig } from '../support/harness.js';
import { STORE_KINDS, type StoreKind, createTestDatabase } from '../support/stores.js';

const ENV_KEYS = ['DATABASE_URL', 'CREDVAULT_DATA_DIR', 'CREDVAULT_MASTER_KEYS', 'CREDVAULT_BOOTSTRAP_TOKEN'] as const;

async function cli(args: string[], env: Record<string, string>) {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, env);
  let stdout = '';
  let stderr = '';
  const so = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const se = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const ce = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`));
  try {
    return { code: await runCli(['node', 'credvault', ...args]), stdout, stderr };
  } finally {
    so.mockRestore();
    se.mockRestore();
    ce.mockRestore();
    process.exitCode = undefined;
    for (const k of ENV_KEYS) {
      const v = saved[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function databaseEnv(kind: StoreKind): Promise<Record<string, string>> {
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    return { DATABASE_URL: database.url };
  }
  const dir = mkdtempSync(join(tmpdir(), 'credvault-boot-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { CREDVAULT_DATA_DIR: dir };
}

const me = (token: string) => ({
  method: 'GET' as const,
  url: '/v1/api-tokens',
  headers: { authorization: `Bearer ${token}` },
});

describe('CREDVAULT_BOOTSTRAP_TOKEN is checked with the predicate authentication uses', () => {
  const generated = generateApiToken();
  const broken = `${generated.slice(0, -1)}${generated.endsWith('A') ? 'B' : 'A'}`;
  it.each([
    ['a cv_ token whose checksum is wrong', broken],
    ['a cv_ token not in the generated format', `cv_live_${'x'.repeat(40)}`],
    ['a token over 512 characters', 'a'.repeat(513)],
    ['a token with whitespace', `${'a'.repeat(20)} ${'b'.repeat(20)}`],
    ['a token with non-ASCII characters', `${'a'.repeat(30)}é${'b'.repeat(10)}`],
    ['a token under 32 characters', 'short-token'],
  ])('refuses to start with %s', (_what, token) => {
    expect(() => loadConfig({ CREDVAULT_BOOTSTRAP_TOKEN: token })).toThrow(ConfigError);
    expect(() => loadConfig({ CREDVAULT_BOOTSTRAP_TOKEN: token })).toThrow(/CREDVAULT_BOOTSTRAP_TOKEN/);
  });
  it('accepts a generated token and an operator-chosen one', () => {
    expect(loadConfig({ CREDVAULT_BOOTSTRAP_TOKEN: generated }).bootstrapToken).toBe(generated);
    expect(loadConfig({ CREDVAULT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN }).bootstrapToken).toBe(BOOTSTRAP_TOKEN);
  });
});

describe.each(STORE_KINDS)('bootstrap token and offline recovery on %s', (kind) => {
  it('lists an operator-chosen token without its first characters, warns when a later token is ignored, and `tokens bootstrap` mints an admin token', async () => {
    const env = await databaseEnv(kind);
    const first = await createRuntime(testConfig(env), { log: captureLogger().log });
    const listed = await first.app.inject(me(BOOTSTRAP_TOKEN));
    expect(listed.statusCode).toBe(200);
    const prefixes = (listed.json() as { data: Array<{ prefix: string }> }).data.map((t) => t.prefix);
    expect(prefixes).toHaveLength(1);
    expect(prefixes[0]).not.toBe(BOOTSTRAP_TOKEN.slice(0, 12));
    expect(BOOTSTRAP_TOKEN).not.toContain(prefixes[0]);
    await first.close();

    // Same token again: it works, nothing to warn about.
    const same = captureLogger('warn');
    const again = await createRuntime(testConfig(env), { log: same.log });
    await again.close();
    expect(same.lines.join('')).not.toMatch(/CREDVAULT_BOOTSTRAP_TOKEN/);

    // Another token on a database that already has accounts: ignored, and said so (without the token).
    const other = 'another-operator-token-0123456789abcdefgh';
    const warned = captureLogger('warn');
    const ignored = await createRuntime(testConfig({ ...env, CREDVAULT_BOOTSTRAP_TOKEN: other }), { log: warned.log });
    expect((await ignored.app.inject(me(other))).statusCode).toBe(401);
    await ignored.close();
    const text = warned.lines.join('');
    expect(text).toMatch(/CREDVAULT_BOOTSTRAP_TOKEN is set but ignored/);
    expect(text).toMatch(/credvault tokens bootstrap/);
    expect(text).not.toContain(other);

    const minted = await cli(['tokens', 'bootstrap'], { ...env, CREDVAULT_MASTER_KEYS: testConfig().masterKeys ?? '' });
    expect(minted.stderr).toMatch(/admin/);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    expect(token).toMatch(/^cv_live_/);
    const rt = await createRuntime(testConfig(env), { log: captureLogger().log });
    try {
      const res = await rt.app.inject(me(token));
      expect(res.statusCode).toBe(200);
      const recovery = (res.json() as { data: Array<{ name: string; scopes: string[] }> }).data.find(
        (t) => t.name === 'recovery',
      );
      expect(recovery?.scopes).toContain('admin');
      // It can act as admin: create an account.
      const acct = await rt.app.inject({
        method: 'POST',
        url: '/v1/accounts',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: '{"name":"after-recovery"}',
      });
      expect(acct.statusCode).toBe(201);
      const audit = await rt.app.inject({
        method: 'GET',
        url: '/v1/audit-events',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(
        (audit.json() as { data: Array<{ action: string; detail: Record<string, unknown> }> }).data,
      ).toContainEqual(
        expect.objectContaining({
          action: 'api_token.created',
          detail: expect.objectContaining({ via: 'tokens bootstrap' }),
        }),
      );
    } finally {
      await rt.close();
    }
  });
});
