/** Key rotation against real storage (security.md C4): promote, status, rewrap, races, retire. Both stores. */
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openServerKeys } from '../../src/crypto/boot.js';
import { decryptSecret, encryptSecret, envelopeKid } from '../../src/crypto/envelope.js';
import { type Keyring, parseMasterKeys } from '../../src/crypto/keyring.js';
import { adoptDatabasePrimary, databasePrimary, keyStatus, promoteKey } from '../../src/crypto/primary.js';
import { RotationError, assertPrimaryNotRetired, createKeyRotation } from '../../src/crypto/rotation.js';
import { credentialSecretPlace } from '../../src/crypto/secret-box.js';
import { systemClock } from '../../src/lib/clock.js';
import { createRuntime } from '../../src/main.js';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { testConfig } from '../support/harness.js';
import { STORE_KINDS, type StoreKind, type TestStore, openTestStore } from '../support/stores.js';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;
const oldRing = parseMasterKeys(OLD);
const ring = parseMasterKeys(`${NEW},${OLD}`); // a node restarted with the new key first
const newOnly = parseMasterKeys(NEW);
const N = 30; // credentials, 2 secrets each: several batches at batchSize 7

const oauthPlace = (accountId: string, id: string, field: string) => ({
  table: 'oauth_apps',
  accountId,
  rowId: id,
  field,
});
const idemPlace = (accountId: string, key: string) => ({
  table: 'idempotency_keys',
  accountId,
  rowId: key,
  field: 'response_body',
});
const serverPlace = (name: string) => ({ table: 'server_secrets', accountId: '-', rowId: name, field: 'envelope' });

/** Secrets under the old key in every table: 2 server secrets, 2 OAuth-app secrets, 2N credential secrets, 1 idempotency body. */
async function seed(db: Db) {
  await migrate(db);
  await openServerKeys(db, OLD, systemClock);
  const accountId = randomUUID();
  const now = new Date();
  await db.insertInto('accounts').values({ id: accountId, name: 'rot', created_at: now }).execute();
  const appId = randomUUID();
  await db
    .insertInto('oauth_apps')
    .values({
      id: appId,
      account_id: accountId,
      name: 'app',
      provider: 'salesforce',
      client_id: 'cid',
      client_secret: encryptSecret(oldRing, 'app-secret', oauthPlace(accountId, appId, 'client_secret')),
      settings: '{}',
      settings_secrets: JSON.stringify({
        private_key: encryptSecret(oldRing, 'pk', oauthPlace(accountId, appId, 'settings.private_key')),
      }),
      metadata: '{}',
      health: '{}',
      created_at: now,
      updated_at: now,
    })
    .execute();
  const creds = Array.from({ length: N }, (_, i) => {
    const identity = `account:${1000 + i}`;
    const place = (f: string) => credentialSecretPlace(accountId, 'netsuite', identity, f);
    return {
      id: randomUUID(),
      account_id: accountId,
      provider: 'netsuite',
      kind: 'netsuite_tba',
      identity,
      name: null,
      oauth_app_id: null,
      properties: '{}',
      metadata: '{}',
      health_status: 'pending',
      health: '{}',
      secrets: JSON.stringify({
        consumer_secret: encryptSecret(oldRing, `cs-${i}`, place('consumer_secret')),
        token_secret: encryptSecret(oldRing, `ts-${i}`, place('token_secret')),
      }),
      created_at: now,
      updated_at: now,
    };
  });
  await db.insertInto('credentials').values(creds).execute();
  await db
    .insertInto('idempotency_keys')
    .values([
      {
        account_id: accountId,
        key: 'k1',
        request_hash: 'h',
        response_status: 200,
        response_body: encryptSecret(oldRing, '{"ok":1}', idemPlace(accountId, 'k1')),
        created_at: now,
      },
      {
        account_id: accountId,
        key: 'k2',
        request_hash: 'h',
        response_status: null,
        response_body: null,
        created_at: now,
      },
    ])
    .execute();
  return { accountId, appId, creds };
}

/** Decrypts every stored secret at the place its service uses; returns plaintexts by location. */
async function readAll(db: Db, keyring: Keyring): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of await db.selectFrom('server_secrets').selectAll().execute())
    out.set(`server:${s.name}`, decryptSecret(keyring, s.envelope, serverPlace(s.name)));
  for (const a of await db.selectFrom('oauth_apps').selectAll().execute()) {
    out.set(`app:${a.id}`, decryptSecret(keyring, a.client_secret, oauthPlace(a.account_id, a.id, 'client_secret')));
    for (const [k, e] of Object.entries(a.settings_secrets))
      out.set(`app:${a.id}:${k}`, decryptSecret(keyring, e, oauthPlace(a.account_id, a.id, `settings.${k}`)));
  }
  for (const c of await db.selectFrom('credentials').selectAll().execute()) {
    for (const [k, e] of Object.entries(c.secrets))
      out.set(
        `cred:${c.identity}:${k}`,
        decryptSecret(keyring, e, credentialSecretPlace(c.account_id, c.provider, c.identity, k)),
      );
  }
  for (const r of await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('response_body', 'is not', null)
    .execute()) {
    out.set(`idem:${r.key}`, decryptSecret(keyring, r.response_body ?? '', idemPlace(r.account_id, r.key)));
  }
  return out;
}

const count = (s: { keys: Array<{ kid: string; secrets: number }> }, kid: string) =>
  s.keys.find((k) => k.kid === kid)?.secrets ?? 0;

describe.each(STORE_KINDS)('key rotation on %s', (kind: StoreKind) => {
  let ts: TestStore | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });
  async function setup() {
    ts = await openTestStore(kind);
    const db = ts.store.db;
    const seeded = await seed(db);
    return { db, ...seeded, rot: createKeyRotation({ db, keyring: ring }) };
  }

  it('counts envelopes per key and table; rewrap moves every one in batches and a re-run finds nothing', async () => {
    const { db, rot } = await setup();
    const before = await readAll(db, ring);
    const s = await rot.keyStatus();
    expect(s.primaryKid).toBe('new');
    const old = s.keys.find((k) => k.kid === 'old');
    expect(old).toMatchObject({
      secrets: 2 * N + 5,
      configured: true,
      primary: false,
      retiredAt: null,
      tables: { server_secrets: 2, oauth_apps: 2, credentials: 2 * N, idempotency_keys: 1 },
    });
    expect(s.keys.find((k) => k.kid === 'new')).toMatchObject({ secrets: 0, primary: true });
    expect(s.pending).toBe(2 * N + 5);

    const progress: number[] = [];
    const r = await rot.rewrap({ batchSize: 7, onProgress: (p) => progress.push(p.done) });
    expect(r).toMatchObject({
      total: 2 * N + 5,
      rewrapped: 2 * N + 5,
      failed: 0,
      busy: 0,
      interrupted: false,
      remaining: 0,
    });
    expect(progress.length).toBeGreaterThan(N / 7);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(2 * N + 5);
    expect(await readAll(db, newOnly)).toEqual(before);
    const after = await rot.keyStatus();
    expect(count(after, 'old')).toBe(0);
    expect(count(after, 'new')).toBe(2 * N + 5);
    const again = await rot.rewrap();
    expect(again).toMatchObject({ total: 0, rewrapped: 0, remaining: 0 });
    // Rewrap is invisible to clients: no version bump (ETags stay valid).
    const versions = await db.selectFrom('credentials').select('version').execute();
    expect(versions.every((v) => v.version === 1)).toBe(true);
  });

  it('an envelope written under the old key meanwhile (a node still on the old primary) is picked up by the next run', async () => {
    const { db, accountId, creds, rot } = await setup();
    await rot.rewrap();
    const c = creds[3];
    if (!c) throw new Error('seed');
    const late = encryptSecret(
      oldRing,
      'late',
      credentialSecretPlace(accountId, 'netsuite', c.identity, 'token_secret'),
    );
    await sql`update credentials set secrets = jsonb_set(secrets, '{token_secret}', to_jsonb(${late}::text)) where id = ${c.id}::uuid`.execute(
      db,
    );
    expect(count(await rot.keyStatus(), 'old')).toBe(1);
    await expect(rot.retire('old')).rejects.toThrow(/still protects 1 secret: run `credvault keys rewrap`/);
    const r = await rot.rewrap();
    expect(r).toMatchObject({ rewrapped: 1, remaining: 0 });
    expect((await readAll(db, newOnly)).get(`cred:${c.identity}:token_secret`)).toBe('late');
  });

  it('never overwrites a row changed between read and write: it re-reads and rewraps what is there now', async () => {
    const { db, accountId, creds, rot } = await setup();
    const place = (identity: string, f: string) => credentialSecretPlace(accountId, 'netsuite', identity, f);
    const byId = (id: string | undefined) => {
      const c = creds.find((x) => x.id === id);
      if (!c) throw new Error(`no seeded credential ${id ?? ''}`);
      return c;
    };
    let raced: Array<{ identity: string }> = [];
    const r = await rot.rewrap({
      batchSize: 10,
      beforeWrite: async (table, keys) => {
        if (table !== 'credentials' || raced.length > 0) return;
        // Rows of the batch being written: an import on an old-primary node, one on a
        // new-primary node, and a delete, all between the rewrap's read and its write.
        const [a, b, gone] = [byId(keys[0]?.[0]), byId(keys[1]?.[0]), byId(keys[2]?.[0])];
        raced = [a, b, gone];
        const viaOld = JSON.stringify({
          consumer_secret: encryptSecret(oldRing, 'A2', place(a.identity, 'consumer_secret')),
          token_secret: encryptSecret(oldRing, 'A3', place(a.identity, 'token_secret')),
        });
        const viaNew = JSON.stringify({
          consumer_secret: encryptSecret(ring, 'B2', place(b.identity, 'consumer_secret')),
        });
        await sql`update credentials set secrets = ${viaOld}::jsonb, version = version + 1 where id = ${a.id}::uuid`.execute(
          db,
        );
        await sql`update credentials set secrets = ${viaNew}::jsonb, version = version + 1 where id = ${b.id}::uuid`.execute(
          db,
        );
        await db.deleteFrom('credentials').where('id', '=', gone.id).execute();
      },
    });
    const [a, b, gone] = raced;
    if (!a || !b || !gone) throw new Error('the race hook did not run');
    expect(r).toMatchObject({
      total: 2 * N + 5,
      rewrapped: 2 * N + 5 - 4 /* b, gone: nothing to move */,
      failed: 0,
      busy: 0,
      remaining: 0,
    });
    const all = await readAll(db, newOnly);
    expect(all.get(`cred:${a.identity}:consumer_secret`)).toBe('A2');
    expect(all.get(`cred:${a.identity}:token_secret`)).toBe('A3');
    expect(all.get(`cred:${b.identity}:consumer_secret`)).toBe('B2');
    expect(all.has(`cred:${b.identity}:token_secret`)).toBe(false);
    expect(all.has(`cred:${gone.identity}:consumer_secret`)).toBe(false);
    creds.forEach((c, i) => raced.includes(c) || expect(all.get(`cred:${c.identity}:token_secret`)).toBe(`ts-${i}`));
    expect(all.size).toBe(2 * N + 5 - 2 - 1);
  });

  it('stops after the current batch when aborted, and a second run resumes', async () => {
    const { db, rot } = await setup();
    const ac = new AbortController();
    const first = await rot.rewrap({
      batchSize: 5,
      signal: ac.signal,
      onProgress: (p) => p.table === 'credentials' && ac.abort(),
    });
    expect(first.interrupted).toBe(true);
    expect(first.rewrapped).toBe(2 + 2 + 10);
    expect(first.remaining).toBe(2 * N + 5 - 14);
    expect((await readAll(db, ring)).size).toBe(2 * N + 5); // every secret still readable mid-way
    const second = await rot.rewrap({ batchSize: 5 });
    expect(second).toMatchObject({
      total: 2 * N + 5 - 14,
      rewrapped: 2 * N + 5 - 14,
      interrupted: false,
      remaining: 0,
    });
    expect((await readAll(db, newOnly)).size).toBe(2 * N + 5);
  });

  it('leaves an undecryptable envelope as it was and reports it; refuses to start when a used key is not configured', async () => {
    const { db, creds, rot } = await setup();
    const c = creds[0];
    if (!c) throw new Error('seed');
    const bad = 'v1.old.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA';
    await sql`update credentials set secrets = jsonb_set(secrets, '{token_secret}', to_jsonb(${bad}::text)) where id = ${c.id}::uuid`.execute(
      db,
    );
    const r = await rot.rewrap();
    expect(r).toMatchObject({
      failed: 1,
      remaining: 1,
      failures: [{ table: 'credentials', row: c.id, field: 'secrets.token_secret', reason: 'auth_failed' }],
    });
    const row = await db.selectFrom('credentials').select('secrets').where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(row.secrets.token_secret).toBe(bad);
    expect(envelopeKid(row.secrets.consumer_secret ?? '')).toBe('new');
    const ghost = encryptSecret(
      parseMasterKeys(`ghost:${randomBytes(32).toString('base64')}`),
      'x',
      serverPlace('ghost'),
    );
    await db.insertInto('server_secrets').values({ name: 'ghost', envelope: ghost, created_at: new Date() }).execute();
    const s = await rot.keyStatus();
    expect(s.keys.find((k) => k.kid === 'ghost')).toMatchObject({ secrets: 1, configured: false });
    await expect(rot.rewrap()).rejects.toThrow(/does not configure: "ghost" \(1\)/);
  });

  it('retire refuses while secrets use the key, then records it; a retired key can never be primary again', async () => {
    const { db, rot } = await setup();
    await expect(rot.retire('old')).rejects.toThrow(RotationError);
    await expect(rot.retire('old')).rejects.toThrow(
      `Key "old" still protects ${2 * N + 5} secrets: run \`credvault keys rewrap\``,
    );
    await expect(rot.retire('new')).rejects.toThrow(/is the primary key/);
    await expect(rot.retire('bad kid')).rejects.toThrow(/not a valid key id/);
    await rot.rewrap();
    const r = await rot.retire('old');
    expect(r.alreadyRetired).toBe(false);
    expect((await rot.retire('old')).alreadyRetired).toBe(true);
    const s = await rot.keyStatus();
    expect(s.keys.find((k) => k.kid === 'old')).toMatchObject({ secrets: 0, retiredAt: r.retiredAt, configured: true });
    await expect(assertPrimaryNotRetired(db, ring)).resolves.toBeUndefined();
    await expect(assertPrimaryNotRetired(db, parseMasterKeys(`${OLD},${NEW}`))).rejects.toThrow(
      /primary key "old" .* was retired/,
    );
    const log = pino({ level: 'silent' });
    const store = ts?.store;
    if (!store) throw new Error('store');
    await expect(createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: `${OLD},${NEW}` }), { store, log })).rejects.toThrow(
      /was retired/,
    );
    const rt = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: NEW }), { store, log });
    await rt.close();
  });

  it('a full rotation on two nodes: promotion refused while one lacks the new key, then promote, rewrap, retire', async () => {
    const { db } = await setup();
    const store = ts?.store;
    if (!store) throw new Error('store');
    const log = pino({ level: 'silent' });
    const node = (keys: string, nodeId: string) =>
      createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: keys }), { store, log, nodeId });
    const sealedBy = (n: { keyPrimary: { box: { seal(p: string, place: ReturnType<typeof serverPlace>): string } } }) =>
      envelopeKid(n.keyPrimary.box.seal('probe', serverPlace('probe')));
    // n1 got the new key (listed second: order is not what makes a key primary); n2 not yet.
    const n1 = await node(`${OLD},${NEW}`, 'n1');
    const n2 = await node(OLD, 'n2');
    expect(await databasePrimary(db)).toBe('old');
    expect([sealedBy(n1), sealedBy(n2)]).toEqual(['old', 'old']);
    await expect(promoteKey(db, 'new', ring, new Date())).rejects.toThrow(
      /Refused: 1 live node\(s\) do not hold key "new": n2 \(holds old\)/,
    );
    expect(await databasePrimary(db)).toBe('old');

    // n2 restarted with both keys: the promotion goes through, and both nodes switch at their next heartbeat.
    await n2.close();
    const n2b = await node(`${NEW},${OLD}`, 'n2');
    const done = await promoteKey(db, 'new', ring, new Date());
    expect(done).toMatchObject({ previous: 'old' });
    expect(done.nodes.map((n) => n.node_id)).toEqual(['n1', 'n2']);
    await n1.keyPrimary.refresh();
    await n2b.keyPrimary.refresh();
    expect([sealedBy(n1), sealedBy(n2b)]).toEqual(['new', 'new']);
    const status = await keyStatus(db, new Date());
    expect(status).toMatchObject({ primary_kid: 'new', promoted_at: expect.any(String) });
    expect(status.nodes.map((n) => [n.node_id, n.kids, n.primary_kid, n.live])).toEqual([
      ['n1', ['new', 'old'], 'new', true],
      ['n2', ['new', 'old'], 'new', true],
    ]);
    // No key material in the status an admin reads: only ids.
    expect(JSON.stringify(status)).not.toContain(NEW.split(':')[1]);

    // Rewrap follows the database's primary even from a machine listing the old key first.
    const before = await readAll(db, ring);
    const rot = createKeyRotation({ db, keyring: await adoptDatabasePrimary(db, parseMasterKeys(`${OLD},${NEW}`)) });
    expect(await rot.rewrap({ batchSize: 7 })).toMatchObject({ failed: 0, remaining: 0 });
    const after = await readAll(db, newOnly);
    for (const [where, plain] of before) expect(after.get(where), where).toBe(plain);
    expect((await rot.retire('old')).alreadyRetired).toBe(false);
    await expect(promoteKey(db, 'old', ring, new Date())).rejects.toThrow(/key "old" is retired/);
    await n1.close();
    await n2b.close();
    expect((await keyStatus(db, new Date())).nodes).toEqual([]);
  });
});
