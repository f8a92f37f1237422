import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyConfigError } from '../../src/crypto/boot.js';
import { createRuntime } from '../../src/main.js';
import { BOOTSTRAP_TOKEN, TEST_MASTER_KEYS, testConfig } from '../support/harness.js';
import { createTestDatabase } from '../support/stores.js';

const OTHER_KEY = 'test1:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=';
const silent = pino({ level: 'silent' });
const auth = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };

type Env = Record<string, string>;

async function importAndRestart(env: Env) {
  const first = await createRuntime(testConfig(env), { log: silent });
  const res = await first.app.inject({
    method: 'POST',
    url: '/v1/credentials',
    headers: auth,
    payload: JSON.stringify({
      properties: { kind: 'stripe_key', secret: 'sk_live_restart_0001', account_id: 'acct_restart' },
      name: 'Survivor',
    }),
  });
  expect(res.statusCode).toBe(200);
  const id = (res.json() as { id: string }).id;
  await first.close();
  const second = await createRuntime(testConfig(env), { log: silent });
  const got = await second.app.inject({ method: 'GET', url: `/v1/credentials/${id}`, headers: auth });
  expect(got.statusCode).toBe(200);
  expect((got.json() as { name: string }).name).toBe('Survivor');
  // The secret is still readable under the same key: a masked re-import opens it.
  const masked = await second.app.inject({
    method: 'POST',
    url: '/v1/credentials',
    headers: auth,
    payload: JSON.stringify({ properties: { kind: 'stripe_key', secret: '***********', account_id: 'acct_restart' } }),
  });
  expect(masked.statusCode).toBe(200);
  expect((masked.json() as { properties: { test: boolean } }).properties.test).toBe(false);
  await second.close();
  await expect(
    createRuntime(testConfig({ ...env, CREDVAULT_MASTER_KEYS: OTHER_KEY }), { log: silent }),
  ).rejects.toThrow(/cannot decrypt/);
  await expect(
    createRuntime(testConfig({ ...env, CREDVAULT_MASTER_KEYS: OTHER_KEY.replace('test1', 'other') }), { log: silent }),
  ).rejects.toThrow(KeyConfigError);
  // Old key added back as a secondary: starts again (rotation path).
  const third = await createRuntime(
    testConfig({ ...env, CREDVAULT_MASTER_KEYS: `${OTHER_KEY.replace('test1', 'new2')},${TEST_MASTER_KEYS}` }),
    { log: silent },
  );
  await third.close();
}

describe('data survives a restart; a wrong master key is refused', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('on embedded PGlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credvault-restart-'));
    dirs.push(dir);
    await importAndRestart({ CREDVAULT_DATA_DIR: dir });
  });

  it('on PostgreSQL', async () => {
    const database = await createTestDatabase();
    try {
      await importAndRestart({ DATABASE_URL: database.url });
    } finally {
      await database.drop();
    }
  });

  it('embedded mode generates a 0600 key file once and reuses it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credvault-keyfile-'));
    dirs.push(dir);
    const env = { CREDVAULT_DATA_DIR: dir, CREDVAULT_MASTER_KEYS: '' };
    const cfg = testConfig(env);
    expect(cfg.masterKeys).toBeUndefined();
    const rt = await createRuntime(cfg, { log: silent });
    await rt.close();
    const st = statSync(join(dir, 'master.keys'));
    expect(st.mode & 0o777).toBe(0o600);
    const again = await createRuntime(cfg, { log: silent });
    await again.close();
  });

  it('PostgreSQL mode refuses to start without master keys', async () => {
    const cfg = testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    cfg.masterKeys = undefined;
    await expect(createRuntime(cfg, { log: silent })).rejects.toThrow(/CREDVAULT_MASTER_KEYS is required/);
  });
});
