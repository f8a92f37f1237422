/** Files holding secrets: export --out (0600, no symlink following), the embedded data dir and master key files. */
import { chmodSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredvaultClient } from '../../src/client/index.js';
import { ConfigError } from '../../src/config.js';
import { exportCredentials } from '../../src/cli/import/export-file.js';
import { createRuntime } from '../../src/main.js';
import { type Harness, TEST_MASTER_KEYS, captureLogger, startHarness, testConfig } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

const mode = (p: string) => statSync(p).mode & 0o777;

describe.each(STORE_KINDS)('credentials export --out on %s', (store) => {
  let h: Harness;
  let dir: string;
  let url: string;
  let token: string;
  beforeAll(async () => {
    h = await startHarness(store);
    dir = mkdtempSync(join(tmpdir(), 'credvault-out-'));
    const c = await h.newAccount();
    token = c.token;
    expect(
      (await c.req('POST', '/v1/credentials', { properties: { kind: 'stripe_key', secret: 'sk_live_exportMode1' } }))
        .statusCode,
    ).toBe(200);
    url = await h.rt.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('replaces (--force) an existing 0644 file with a 0600 one', async () => {
    const out = join(dir, 'existing.jsonl');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    const n = await exportCredentials({
      client: createCredvaultClient({ url, token }),
      includeSecrets: true,
      out,
      overwrite: true,
      pageSize: 10,
    });
    expect(n).toBe(1);
    expect(mode(out)).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toContain('sk_live_exportMode1');
  });

  it('does not follow a symlink at --out (--force): the link is replaced, its target untouched', async () => {
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'precious\n', { mode: 0o644 });
    const link = join(dir, 'link.jsonl');
    symlinkSync(target, link);
    await exportCredentials({
      client: createCredvaultClient({ url, token }),
      includeSecrets: true,
      out: link,
      overwrite: true,
      pageSize: 10,
    });
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(mode(link)).toBe(0o600);
    expect(readFileSync(link, 'utf8')).toContain('sk_live_exportMode1');
  });
});

describe('embedded data directory and master key files', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'credvault-modes-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('chmods the data directory 0700 at every start and refuses a group/world-readable master.keys', async () => {
    const dataDir = join(tmp(), 'data');
    const config = testConfig({ CREDVAULT_DATA_DIR: dataDir, CREDVAULT_MASTER_KEYS: '' });
    const first = await createRuntime(config, { log: captureLogger().log });
    await first.close();
    expect(mode(dataDir)).toBe(0o700);
    chmodSync(dataDir, 0o755);
    const second = await createRuntime(config, { log: captureLogger().log });
    await second.close();
    expect(mode(dataDir)).toBe(0o700);
    const keyFile = join(dataDir, 'master.keys');
    expect(mode(keyFile)).toBe(0o600);
    chmodSync(keyFile, 0o644);
    await expect(createRuntime(config, { log: captureLogger().log })).rejects.toThrow(
      /master\.keys.*readable by other users.*chmod 600/s,
    );
  }, 60_000);

  it('reads CREDVAULT_MASTER_KEYS_FILE, refusing one others can read and refusing both variables at once', async () => {
    const d = tmp();
    const keyFile = join(d, 'keys');
    writeFileSync(keyFile, `${TEST_MASTER_KEYS}\n`, { mode: 0o600 });
    expect(testConfig({ CREDVAULT_MASTER_KEYS: '', CREDVAULT_MASTER_KEYS_FILE: keyFile }).masterKeys).toBe(
      TEST_MASTER_KEYS,
    );
    expect(() => testConfig({ CREDVAULT_MASTER_KEYS_FILE: keyFile })).toThrow(ConfigError);
    chmodSync(keyFile, 0o640);
    expect(() => testConfig({ CREDVAULT_MASTER_KEYS: '', CREDVAULT_MASTER_KEYS_FILE: keyFile })).toThrow(
      /readable by other users/,
    );
    expect(() => testConfig({ CREDVAULT_MASTER_KEYS: '', CREDVAULT_MASTER_KEYS_FILE: join(d, 'missing') })).toThrow(
      /CREDVAULT_MASTER_KEYS_FILE/,
    );
  });
});
