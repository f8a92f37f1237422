/**
 * Boot proves every configured key, not only the canary's (issue 13 item 5): each kid's
 * fingerprint is recorded the first time a node sees it, and a node configured with other
 * material under a known kid refuses to start, naming the kid. Both stores.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyConfigError } from '../../src/crypto/boot.js';
import { createRuntime } from '../../src/main.js';
import { TEST_MASTER_KEYS, testConfig } from '../support/harness.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

const silent = pino({ level: 'silent' });
const material = () => randomBytes(32).toString('base64');

describe.each(STORE_KINDS)('master key fingerprints on %s', (kind) => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await openTestStore(kind);
  });
  afterAll(async () => {
    await ts?.close();
  });

  const start = (keys: string) =>
    createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: keys }), { store: ts.store, log: silent });

  it('two nodes with one new kid and different material: the second is refused, naming the kid', async () => {
    const a = `k2026a:${material()}`;
    const b = `k2026a:${material()}`;
    // The database is created under test1 (its canary), then node A rotates in a new primary
    // key: its first sight records the fingerprint.
    await (await start(TEST_MASTER_KEYS)).close();
    const first = await start(`${a},${TEST_MASTER_KEYS}`);
    await first.close();
    // Node B generated its own key under the same id: it would seal secrets A cannot open.
    const refused = start(`${b},${TEST_MASTER_KEYS}`);
    await expect(refused).rejects.toThrow(KeyConfigError);
    await expect(start(`${b},${TEST_MASTER_KEYS}`)).rejects.toThrow(/"k2026a"/);
    // Also as a secondary (decrypt-only) key.
    await expect(start(`${TEST_MASTER_KEYS},${b}`)).rejects.toThrow(/"k2026a".*fingerprint/);
    // The right material still starts, in either position.
    const again = await start(`${TEST_MASTER_KEYS},${a}`);
    await again.close();
  });

  it('the canary key itself is also pinned, and the recorded fingerprints hold no key material', async () => {
    const rt = await start(TEST_MASTER_KEYS);
    const rows = await rt.store.db.selectFrom('key_fingerprints').selectAll().execute();
    await rt.close();
    const kids = rows.map((r) => r.kid).sort();
    expect(kids).toEqual(['k2026a', 'test1']);
    const keyB64 = TEST_MASTER_KEYS.split(':')[1] ?? '';
    for (const r of rows) {
      expect(r.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(r.fingerprint).not.toContain(Buffer.from(keyB64, 'base64').toString('hex'));
    }
    // A kid never seen before is accepted and recorded.
    const c = `k2026c:${material()}`;
    const third = await start(`${c},${TEST_MASTER_KEYS}`);
    await third.close();
    await expect(start(`k2026c:${material()},${TEST_MASTER_KEYS}`)).rejects.toThrow(/"k2026c"/);
  });
});
