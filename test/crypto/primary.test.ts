/**
 * The primary master key is the database's (crypto/primary.ts): nodes seal with it, report the
 * keys they hold, a promotion is refused while a live node lacks the key, a node lacking the
 * database's primary refuses to start; and an embedded data dir without its master.keys
 * refuses to start instead of making a new key.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyConfigError, openServerKeys, resolveMasterKeys } from '../../src/crypto/boot.js';
import { envelopeKid } from '../../src/crypto/envelope.js';
import { generateKey, parseMasterKeys } from '../../src/crypto/keyring.js';
import {
  KeyPrimaryError,
  databasePrimary,
  listNodeKeys,
  openKeyPrimary,
  promoteKey,
} from '../../src/crypto/primary.js';
import { addKeyToFile } from '../../src/cli/commands/keys-promote.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/lib/clock.js';
import { migrate } from '../../src/store/migrate.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

const A = generateKey('ka').spec;
const B = generateKey('kb').spec;
const place = { table: 'credentials', accountId: 'acc', rowId: 'row', field: 'secret' } as const;

describe.each(STORE_KINDS)('database primary key on %s', (kind) => {
  let t: TestStore;
  let now = new Date('2026-12-01T10:00:00Z');
  const clock: Clock = { now: () => now };
  beforeAll(async () => {
    t = await openTestStore(kind);
    await migrate(t.store.db);
  }, 60_000);
  afterAll(async () => t?.close());
  beforeEach(async () => {
    now = new Date('2026-12-01T10:00:00Z');
    await sql`delete from node_keys`.execute(t.store.db);
    await sql`delete from key_primary`.execute(t.store.db);
    await sql`delete from server_secrets`.execute(t.store.db);
  });

  const open = async (spec: string, nodeId: string) => {
    const keys = await openServerKeys(t.store.db, spec, clock);
    return openKeyPrimary({ db: t.store.db, keyring: keys.keyring, nodeId, clock });
  };

  it('the first start records its first key; later nodes seal with the database primary whatever their order', async () => {
    const n1 = await open(`${A},${B}`, 'n1');
    expect(await databasePrimary(t.store.db)).toBe('ka');
    const n2 = await open(`${B},${A}`, 'n2');
    expect(envelopeKid(n2.box.seal('s', place))).toBe('ka');
    expect(n1.box.open(n2.box.seal('s', place), place)).toBe('s');
    const nodes = await listNodeKeys(t.store.db);
    expect(nodes.map((n) => [n.node_id, [...n.kids].sort(), n.primary_kid])).toEqual([
      ['n1', ['ka', 'kb'], 'ka'],
      ['n2', ['ka', 'kb'], 'ka'],
    ]);
  });

  it('promotion is refused while a live node lacks the key, allowed once its heartbeat is stale; nodes switch at their next heartbeat', async () => {
    const both = await open(`${A},${B}`, 'both');
    await open(A, 'only-a');
    const caller = parseMasterKeys(`${A},${B}`);
    const refused = await promoteKey(t.store.db, 'kb', caller, now).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyPrimaryError);
    expect(String(refused)).toContain('only-a (holds ka)');
    expect(await databasePrimary(t.store.db)).toBe('ka');
    // A key the caller does not hold is refused too.
    await expect(promoteKey(t.store.db, 'kz', caller, now)).rejects.toThrow(/not in this machine/);

    now = new Date(now.getTime() + 120_000);
    await both.refresh();
    const done = await promoteKey(t.store.db, 'kb', caller, now);
    expect(done.previous).toBe('ka');
    expect(done.nodes.map((n) => n.node_id)).toEqual(['both']);
    expect(envelopeKid(both.box.seal('s', place))).toBe('ka');
    await both.refresh();
    expect(envelopeKid(both.box.seal('s', place))).toBe('kb');

    // The node without kb cannot come back: it refuses to start, naming the key.
    await expect(open(A, 'only-a')).rejects.toThrow(/primary master key is "kb", which this node does not hold/);
  });
});

describe('embedded key file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'credvault-keyfile-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a data dir holding a database but no master.keys refuses to start, saying the key file is missing', () => {
    const data = join(dir, 'with-db');
    mkdirSync(join(data, 'pgdata'), { recursive: true });
    let err: unknown;
    try {
      resolveMasterKeys({ dataDir: data });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyConfigError);
    expect(String(err)).toMatch(/master key file .*master\.keys is missing/);
  });

  it('keys generate --add appends to master.keys, which is read as a list', () => {
    const data = join(dir, 'list');
    mkdirSync(data, { recursive: true });
    writeFileSync(join(data, 'master.keys'), `${A}\n`, { mode: 0o600 });
    const config = loadConfig({ CREDVAULT_DATA_DIR: data });
    addKeyToFile(config, { kid: 'kb', spec: B });
    expect(() => addKeyToFile(config, { kid: 'kb', spec: B })).toThrow(/already has a key "kb"/);
    const ring = parseMasterKeys(resolveMasterKeys({ dataDir: data }).spec);
    expect(ring.kids).toEqual(['ka', 'kb']);
  });
});
