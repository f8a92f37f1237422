/** `credvault keys generate|nodes|promote|status|rewrap|retire`, run in-process on the database from the environment. Both stores. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.js';
import { createRuntime } from '../../src/main.js';
import { BOOTSTRAP_TOKEN, testConfig } from '../support/harness.js';
import { STORE_KINDS, type StoreKind, createTestDatabase } from '../support/stores.js';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;
const ENV_KEYS = ['DATABASE_URL', 'CREDVAULT_DATA_DIR', 'CREDVAULT_MASTER_KEYS'] as const;

/** Runs the CLI with `env` as the environment; returns the exit code and everything written. */
async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  Object.assign(process.env, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
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
    const code = await runCli(['node', 'credvault', ...args]);
    return { code, stdout, stderr };
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

/**
 * A database holding secrets under OLD only (one import through the API); returns its
 * environment. Embedded: the key is in the data dir's master.keys, as a first start leaves it.
 */
async function oldDatabase(kind: StoreKind): Promise<Record<string, string>> {
  let env: Record<string, string>;
  let config;
  if (kind === 'postgres') {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    env = { DATABASE_URL: database.url, CREDVAULT_MASTER_KEYS: OLD };
    config = testConfig(env);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'credvault-keys-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'master.keys'), `${OLD}\n`, { mode: 0o600 });
    env = { CREDVAULT_DATA_DIR: dir };
    config = { ...testConfig(env), masterKeys: undefined };
  }
  const rt = await createRuntime(config, { log: pino({ level: 'silent' }) });
  const res = await rt.app.inject({
    method: 'POST',
    url: '/v1/credentials',
    headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
    payload: JSON.stringify({
      properties: {
        kind: 'netsuite_tba',
        account_id: '1234567',
        consumer_key: 'ck',
        consumer_secret: 'cs',
        token_id: 'tid',
        token_secret: 'ts',
      },
    }),
  });
  expect(res.statusCode).toBe(200);
  await rt.close();
  return env;
}

/** A node of this database holding `keys`, as serve starts it (its heartbeat names the key ids it holds). */
async function startNode(env: Record<string, string>, keys: string | undefined, nodeId: string) {
  const config = testConfig(keys ? { ...env, CREDVAULT_MASTER_KEYS: keys } : env);
  return createRuntime(keys ? config : { ...config, masterKeys: undefined }, {
    log: pino({ level: 'silent' }),
    nodeId,
  });
}

interface StatusJson {
  primary_kid: string;
  pending: number;
  keys: Array<{ kid: string; secrets: number; retired_at: string | null; encryptions: number; rotate_soon: boolean }>;
}

describe.each(STORE_KINDS)('credvault keys on %s', (kind) => {
  it('generate, promote (refused while a node lacks the key), status, rewrap, retire: the rotation procedure end to end', async () => {
    const base = await oldDatabase(kind);
    // 1. The new key on this machine: embedded, appended to master.keys; with PostgreSQL, in the variable.
    let env: Record<string, string>;
    if (kind === 'pglite') {
      const gen = await cli(['keys', 'generate', '--add', '--kid', 'new'], base);
      expect(gen).toMatchObject({ code: 0, stdout: 'new\n' });
      expect(gen.stderr).toMatch(
        /added key new to .*master\.keys: restart the server, then credvault keys promote new/,
      );
      expect(readFileSync(join(base.CREDVAULT_DATA_DIR ?? '', 'master.keys'), 'utf8')).toMatch(/^old:.*\nnew:.*\n$/);
      env = base;
    } else {
      expect((await cli(['keys', 'generate', '--add'], base)).stderr).toMatch(/--add edits the embedded master\.keys/);
      env = { ...base, CREDVAULT_MASTER_KEYS: `${OLD},${NEW}` };
    }
    const newSpec =
      kind === 'pglite'
        ? (readFileSync(join(base.CREDVAULT_DATA_DIR ?? '', 'master.keys'), 'utf8').split('\n')[1] ?? '')
        : NEW;
    // Having the key is not promoting it: the database's primary is still old, whatever the order.
    expect(JSON.parse((await cli(['keys', 'status', '--json'], env)).stdout)).toMatchObject({ primary_kid: 'old' });

    // 2. A node that still lacks the new key: promotion is refused, naming it.
    const lagging = await startNode(base, OLD, 'node-b');
    // PGlite admits one process: the node goes away without its shutdown, so its last heartbeat
    // stays live (like a node killed moments ago); on PostgreSQL it keeps running.
    if (kind === 'pglite') await lagging.store.close();
    const nodes = JSON.parse((await cli(['keys', 'nodes', '--json'], env)).stdout) as {
      primary_kid: string;
      nodes: Array<{ node_id: string; kids: string[] }>;
    };
    expect(nodes).toMatchObject({ primary_kid: 'old', nodes: [{ node_id: 'node-b', kids: ['old'] }] });
    const refused = await cli(['keys', 'promote', 'new'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Refused: 1 live node\(s\) do not hold key "new": node-b \(holds old\)/);
    expect(JSON.parse((await cli(['keys', 'status', '--json'], env)).stdout)).toMatchObject({ primary_kid: 'old' });
    // A key this machine does not hold is refused too.
    expect((await cli(['keys', 'promote', 'nope'], env)).stderr).toMatch(/"nope" is not in this machine's/);

    // 3. The node restarted with both keys (any order): its heartbeat now reports both, promotion goes through.
    if (kind === 'postgres') await lagging.close();
    const both = await startNode(base, kind === 'pglite' ? undefined : `${NEW},${OLD}`, 'node-b');
    if (kind === 'pglite') await both.store.close();
    const promoted = await cli(['keys', 'promote', 'new', '--json'], env);
    expect(promoted.code).toBe(0);
    expect(JSON.parse(promoted.stdout)).toEqual({ primary_kid: 'new', previous: 'old', nodes: ['node-b'] });
    if (kind === 'postgres') {
      // The running node seals with the database's primary from its next heartbeat.
      expect(both.keyPrimary.current().primaryKid).toBe('old');
      await both.keyPrimary.refresh();
      expect(both.keyPrimary.current().primaryKid).toBe('new');
      await both.close();
    }

    const status = await cli(['keys', 'status', '--json'], env);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as StatusJson;
    // 2 credential secrets + the canary and the fingerprint key.
    expect(s).toMatchObject({ primary_kid: 'new', pending: 4 });
    expect(s.keys.map((k) => [k.kid, k.secrets])).toEqual([
      ['new', 0],
      ['old', 4],
    ]);

    const text = await cli(['keys', 'status'], env);
    expect(text.stdout).toMatch(/Primary key: new/);
    expect(text.stdout).toMatch(/KID\s+SECRETS\s+ENCRYPTIONS\s+STATE/);
    expect(text.stdout).toMatch(
      /old\s+4\s+[\d,]+\s+decrypt-only: run `credvault keys rewrap` \(credentials 2, server_secrets 2\)/,
    );

    const refusedRetire = await cli(['keys', 'retire', 'old'], env);
    expect(refusedRetire.code).toBe(1);
    expect(refusedRetire.stderr).toMatch(/Key "old" still protects 4 secrets: run `credvault keys rewrap`/);

    const rewrap = await cli(['keys', 'rewrap', '--json', '--batch-size', '1'], env);
    expect(rewrap.code).toBe(0);
    const lines = rewrap.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; done?: number; remaining?: number });
    expect(lines.filter((l) => l.type === 'progress').map((l) => l.done)).toEqual([1, 2, 4]); // canary, fingerprint key, then one credential row with 2 secrets
    expect(lines.at(-1)).toMatchObject({
      type: 'result',
      primary_kid: 'new',
      total: 4,
      rewrapped: 4,
      remaining: 0,
      interrupted: false,
      elapsed_ms: expect.any(Number),
    });

    // The rewrap's seals count against the new key (C5), recorded by the CLI itself.
    const counted = JSON.parse((await cli(['keys', 'status', '--json'], env)).stdout) as StatusJson;
    expect(counted.keys.find((k) => k.kid === 'new')?.encryptions).toBeGreaterThanOrEqual(4);
    expect(counted.keys.find((k) => k.kid === 'new')?.rotate_soon).toBe(false);

    const plain = await cli(['keys', 'rewrap'], env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      /Rewrapping 0 secret\(s\) to key "new"[\s\S]*Rewrapped 0 secret\(s\) in [\d.]+s; 0 still under other keys/,
    );

    const retired = await cli(['keys', 'retire', 'old', '--json'], env);
    expect(retired.code).toBe(0);
    expect(JSON.parse(retired.stdout)).toMatchObject({ kid: 'old', already_retired: false });
    const after = JSON.parse((await cli(['keys', 'status', '--json'], env)).stdout) as StatusJson;
    expect(after.keys.find((k) => k.kid === 'old')).toMatchObject({ secrets: 0, retired_at: expect.any(String) });
    expect((await cli(['keys', 'retire', 'old'], env)).stdout).toMatch(/already retired/);
    // A retired key can never seal again: promoting it back is refused, and a node holding only it cannot start.
    expect((await cli(['keys', 'promote', 'old'], env)).stderr).toMatch(/key "old" is retired/);
    await expect(
      createRuntime(testConfig({ ...base, CREDVAULT_MASTER_KEYS: OLD }), { log: pino({ level: 'silent' }) }),
    ).rejects.toThrow(/key id "new", which CREDVAULT_MASTER_KEYS does not configure/);
    // The old key can now leave the configuration: the new one alone reads everything.
    const after2 = await cli(['keys', 'status', '--json'], { ...base, CREDVAULT_MASTER_KEYS: newSpec });
    expect(JSON.parse(after2.stdout)).toMatchObject({ primary_kid: 'new', pending: 0 });
  }, 240_000); // a dozen CLI runs, each opening the database (PGlite: a few seconds each on a busy machine)

  it('fails with exit 1 when the configured keys cannot read the database', async () => {
    const env = await oldDatabase(kind);
    const wrong = await cli(['keys', 'status'], { ...env, CREDVAULT_MASTER_KEYS: NEW });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/key id "old", which CREDVAULT_MASTER_KEYS does not configure/);
  });
});

describe('credvault keys: help and usage', () => {
  it('every command has a meaningful --help (exit 0)', async () => {
    const expectations: Array<[string[], RegExp]> = [
      [['keys', '--help'], /Rotating the master key, online[\s\S]*keys promote NEW_KID[\s\S]*keys retire OLD_KID/],
      [['keys', 'promote', '--help'], /refused while a live\s+node lacks it[\s\S]*--json/],
      [['keys', 'nodes', '--help'], /the key ids it holds/],
      [['keys', 'status', '--help'], /how many secrets it protects[\s\S]*--json/],
      [['keys', 'rewrap', '--help'], /--batch-size <n>[\s\S]*re-run|running it again resumes/],
      [['keys', 'retire', '--help'], /refuses while any secret still uses it[\s\S]*Exit codes/],
      [['keys', 'generate', '--help'], /--kid <kid>/],
    ];
    for (const [args, re] of expectations) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(re);
    }
  });

  it('usage errors exit 2; missing keys exit 1', async () => {
    expect((await cli(['keys', 'rewrap', '--batch-size', '0'])).code).toBe(2);
    expect((await cli(['keys', 'rewrap', '--batch-size', 'ten'])).stderr).toMatch(/integer from 1 to 10000/);
    expect((await cli(['keys', 'retire'])).code).toBe(2);
    expect((await cli(['keys', 'status', '--bogus'])).code).toBe(2);
    const pgNoKeys = await cli(['keys', 'status'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(pgNoKeys).toMatchObject({ code: 1, stderr: expect.stringMatching(/CREDVAULT_MASTER_KEYS is required/) });
    const dir = mkdtempSync(join(tmpdir(), 'credvault-nokeys-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const embedded = await cli(['keys', 'rewrap'], { CREDVAULT_DATA_DIR: dir });
    expect(embedded).toMatchObject({ code: 1, stderr: expect.stringMatching(/No master keys/) });
  });
});
