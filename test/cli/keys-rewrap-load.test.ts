/**
 * Issue 4 acceptance: "Rewrap under load". 20,000 secrets under the old key; a node on the new
 * primary serves reads and imports while `credvault keys rewrap` runs in a child process, is
 * SIGKILLed half-way and run again: zero failed requests, every secret readable, old key at zero,
 * `keys retire` succeeds.
 *
 * PostgreSQL only: the rewrap runs in another process, and PGlite is single-process. The
 * in-process rotation tests (test/crypto/rotation-store.test.ts, test/cli/keys.test.ts) run on both.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialSecretPlace } from '../../src/crypto/secret-box.js';
import { decryptSecret, encryptSecret, envelopeKid } from '../../src/crypto/envelope.js';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import { createKeyRotation } from '../../src/crypto/rotation.js';
import { CREDENTIAL_MASK } from '../../src/crypto/secret-box.js';
import { type Runtime, createRuntime } from '../../src/main.js';
import type { Db } from '../../src/store/db.js';
import { BOOTSTRAP_TOKEN, testConfig } from '../support/harness.js';
import { type TestStore, openTestStore } from '../support/stores.js';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;
const ROWS = 10_000; // x 2 secret fields = 20,000 secrets
const log = pino({ level: 'silent' });
const headers = { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' };
const props = (n: number, secrets: { cs: string; ts: string }) => ({
  kind: 'netsuite_tba',
  account_id: String(n),
  consumer_key: 'ck',
  consumer_secret: secrets.cs,
  token_id: 'tid',
  token_secret: secrets.ts,
});

/** `credvault ARGS` in a child process, straight from the TypeScript sources (no build needed). */
function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  const entry = `import('./src/cli/index.ts').then((m) => m.runCli(['node', 'credvault', ...${JSON.stringify(args)}])).then((c) => { process.exitCode = c; })`;
  return spawn(process.execPath, ['--import', 'tsx', '-e', entry], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code (or signal) and output; `onLine` sees stdout lines as they come. */
function finished(child: ChildProcess, onLine: (line: string) => void = () => undefined) {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
  const lines: string[] = [];
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (l) => {
      lines.push(l);
      onLine(l);
    });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[]; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, lines, stderr })),
  );
}

type Template = { account_id: string; properties: Record<string, unknown>; health: Record<string, unknown> };

/** `rows` netsuite credentials with 2 secrets each under OLD, inserted directly in bulk (identities account:1000000...). */
async function bulkSeed(db: Db, template: Template, rows: number): Promise<void> {
  const oldRing = parseMasterKeys(OLD);
  for (let start = 0; start < rows; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, rows - start) }, (_, j) => {
      const n = 1_000_000 + start + j;
      const identity = `account:${n}`;
      const place = (f: string) => credentialSecretPlace(template.account_id, 'netsuite', identity, f);
      return {
        id: randomUUID(),
        account_id: template.account_id,
        provider: 'netsuite',
        kind: 'netsuite_tba',
        identity,
        name: null,
        oauth_app_id: null,
        health_status: 'pending',
        properties: JSON.stringify({ ...template.properties, account_id: String(n) }),
        metadata: '{}',
        health: JSON.stringify(template.health),
        secrets: JSON.stringify({
          consumer_secret: encryptSecret(oldRing, `cs-${n}`, place('consumer_secret')),
          token_secret: encryptSecret(oldRing, `ts-${n}`, place('token_secret')),
        }),
        created_at: new Date(),
        updated_at: new Date(),
      };
    });
    await db.insertInto('credentials').values(batch).execute();
  }
}

describe('keys rewrap under load (PostgreSQL, child process)', () => {
  let ts: TestStore | undefined;
  let rt: Runtime | undefined;
  afterAll(async () => {
    await rt?.close();
    await ts?.close();
  });

  it('moves 20,000 secrets while serving, survives a SIGKILL half-way, then the old key retires', async () => {
    ts = await openTestStore('postgres');
    const { store, url } = ts;
    if (!url) throw new Error('postgres url');
    const db = store.db;

    // 1. A node on the old key: canary, an OAuth app, an idempotent import, then 20,000 secrets in bulk.
    const first = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: OLD }), { store, log });
    const post = (r: Runtime, path: string, body: unknown, extra: Record<string, string> = {}) =>
      r.app.inject({ method: 'POST', url: path, headers: { ...headers, ...extra }, payload: JSON.stringify(body) });
    expect(
      (
        await post(first, '/v1/oauth-apps', {
          name: 'sf',
          provider: 'salesforce',
          client_id: 'cid',
          client_secret: 'app-secret',
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await post(
          first,
          '/v1/credentials',
          { properties: props(1, { cs: 'cs-i', ts: 'ts-i' }) },
          { 'idempotency-key': 'seed-1' },
        )
      ).statusCode,
    ).toBe(200);
    const template = await db.selectFrom('credentials').selectAll().executeTakeFirstOrThrow();
    await db.deleteFrom('credentials').execute();
    await first.close();
    const t0 = Date.now();
    await bulkSeed(db, template, ROWS);
    const seeded = await db.selectFrom('credentials').select(['id', 'identity']).execute();
    const status0 = await createKeyRotation({ db, keyring: parseMasterKeys(`${NEW},${OLD}`) }).keyStatus();
    const oldAtStart = status0.keys.find((k) => k.kid === 'old')?.secrets ?? 0;
    expect(status0.keys.find((k) => k.kid === 'old')?.tables).toMatchObject({
      credentials: 20_000,
      server_secrets: 2,
      oauth_apps: 1,
      idempotency_keys: 1,
    });
    console.log(`seeded ${oldAtStart} secrets under "old" in ${Date.now() - t0} ms`);

    // 2. The node restarted with the new key first serves a bounded load: reads, masked re-imports
    //    (which open the stored secrets, under whichever key) and fresh imports.
    //    Then `keys promote new` (refused while a live node lacks it; this one holds it): it seals with new.
    rt = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: `${NEW},${OLD}` }), { store, log });
    const promoted = await finished(
      spawnCli(['keys', 'promote', 'new'], { DATABASE_URL: url, CREDVAULT_MASTER_KEYS: `${NEW},${OLD}` }),
    );
    expect(promoted.code, promoted.stderr).toBe(0);
    await rt.keyPrimary.refresh();
    const node = rt;
    const failures: string[] = [];
    let ops = 0;
    let stop = false;
    let fresh = 0;
    const worker = async (w: number) => {
      for (let i = 0; !stop && ops < 50_000; i += 1) {
        const pick = seeded[Math.floor(Math.random() * seeded.length)];
        if (!pick) continue;
        const n = Number(pick.identity.slice('account:'.length));
        const res =
          i % 3 === 0
            ? await node.app.inject({ method: 'GET', url: `/v1/credentials/${pick.id}`, headers })
            : i % 3 === 1
              ? await post(node, '/v1/credentials', {
                  properties: props(n, { cs: CREDENTIAL_MASK, ts: CREDENTIAL_MASK }),
                })
              : await post(node, '/v1/credentials', {
                  properties: props(5_000_000 + w * 100_000 + (fresh += 1), { cs: 'new-cs', ts: 'new-ts' }),
                });
        ops += 1;
        if (res.statusCode !== 200) failures.push(`${res.statusCode} ${res.body.slice(0, 200)}`);
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));

    // 3. `keys rewrap` in a child process, SIGKILLed once its progress passes 50%.
    const env = { DATABASE_URL: url, CREDVAULT_MASTER_KEYS: `${NEW},${OLD}` };
    const t1 = Date.now();
    const killed = spawnCli(['keys', 'rewrap', '--json', '--batch-size', '100'], env);
    let killedAt = 0;
    let firstProgress = 0;
    let killMs = 0;
    const firstRun = await finished(killed, (line) => {
      const p = JSON.parse(line) as { type: string; done: number; total: number };
      firstProgress ||= Date.now();
      if (p.type === 'progress' && p.done >= p.total / 2 && killedAt === 0) {
        killedAt = p.done;
        killMs = Date.now() - firstProgress;
        killed.kill('SIGKILL');
      }
    });
    const firstMs = Date.now() - t1;
    expect(firstRun.signal, firstRun.stderr).toBe('SIGKILL');
    const opsAtKill = ops;
    const mid = await createKeyRotation({ db, keyring: parseMasterKeys(`${NEW},${OLD}`) }).keyStatus();
    const oldMid = mid.keys.find((k) => k.kid === 'old')?.secrets ?? 0;
    expect(oldMid).toBeGreaterThan(0);
    expect(oldMid).toBeLessThan(oldAtStart / 2 + 200);

    const t2 = Date.now();
    const second = await finished(spawnCli(['keys', 'rewrap', '--json'], env));
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.lines.at(-1) ?? '{}') as {
      type: string;
      rewrapped: number;
      remaining: number;
      failed: number;
      elapsed_ms: number;
    };
    expect(result).toMatchObject({ type: 'result', remaining: 0, failed: 0 });
    console.log(
      `rewrap: killed at ${killedAt} (${killMs} ms from the first batch, ${firstMs} ms incl. startup); resumed run moved ${result.rewrapped} in ${result.elapsed_ms} ms ` +
        `(${Date.now() - t2} ms incl. startup); ${ops} requests served, ${opsAtKill} before the kill`,
    );
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(opsAtKill).toBeGreaterThan(0);

    // 4. Every secret opens with the new key alone, at its place.
    const newOnly = parseMasterKeys(NEW);
    const creds = await db.selectFrom('credentials').selectAll().execute();
    let opened = 0;
    for (const c of creds) {
      for (const [f, e] of Object.entries(c.secrets)) {
        const v = decryptSecret(newOnly, e, credentialSecretPlace(c.account_id, c.provider, c.identity, f));
        if (c.identity.startsWith('account:1') && c.identity.length === 'account:1000000'.length) {
          expect(v).toBe(`${f === 'consumer_secret' ? 'cs' : 'ts'}-${c.identity.slice(8)}`);
        }
        opened += 1;
      }
    }
    expect(opened).toBeGreaterThanOrEqual(20_000);
    for (const s of await db.selectFrom('server_secrets').selectAll().execute())
      expect(envelopeKid(s.envelope)).toBe('new');

    // 5. Status shows the old key at zero; retire succeeds; a node with the new key alone reads everything.
    const status = await finished(spawnCli(['keys', 'status', '--json'], env));
    const final = JSON.parse(status.lines.join('')) as { keys: Array<{ kid: string; secrets: number }> };
    expect(final.keys.find((k) => k.kid === 'old')?.secrets).toBe(0);
    const retire = await finished(spawnCli(['keys', 'retire', 'old'], env));
    expect(retire.code, retire.stderr).toBe(0);
    await rt.close();
    rt = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: NEW }), { store, log });
    const reread = await post(rt, '/v1/credentials', {
      properties: props(1_000_042, { cs: CREDENTIAL_MASK, ts: CREDENTIAL_MASK }),
    });
    expect(reread.statusCode).toBe(200);
    const replay = await post(
      rt,
      '/v1/credentials',
      { properties: props(1, { cs: 'cs-i', ts: 'ts-i' }) },
      { 'idempotency-key': 'seed-1' },
    );
    expect(replay.statusCode).toBe(200);
  }, 300_000);
  it('Ctrl-C stops after the current batch with exit 130 and a resume hint; a re-run finishes', async () => {
    const pg = await openTestStore('postgres');
    try {
      const { store, url } = pg;
      if (!url) throw new Error('postgres url');
      const node = await createRuntime(testConfig({ CREDVAULT_MASTER_KEYS: OLD }), { store, log });
      const res = await node.app.inject({
        method: 'POST',
        url: '/v1/credentials',
        headers,
        payload: JSON.stringify({ properties: props(7, { cs: 'a', ts: 'b' }) }),
      });
      expect(res.statusCode).toBe(200);
      await node.close();
      await bulkSeed(store.db, await store.db.selectFrom('credentials').selectAll().executeTakeFirstOrThrow(), 500);
      const env = { DATABASE_URL: url, CREDVAULT_MASTER_KEYS: `${NEW},${OLD}` };
      expect((await finished(spawnCli(['keys', 'promote', 'new'], env))).code).toBe(0);
      const child = spawnCli(['keys', 'rewrap', '--batch-size', '1', '--json'], env);
      let sent = false;
      const run = await finished(child, (line) => {
        if (!sent && line.includes('"progress"')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toMatch(/Interrupted after \d+ of 1,004: re-run `credvault keys rewrap` to resume/);
      const result = JSON.parse(run.lines.at(-1) ?? '{}') as { interrupted: boolean; remaining: number };
      expect(result.interrupted).toBe(true);
      expect(result.remaining).toBeGreaterThan(0);
      const again = await finished(spawnCli(['keys', 'rewrap'], env));
      expect(again.code, again.stderr).toBe(0);
      expect(again.lines.join('\n')).toMatch(/0 still under other keys/);
    } finally {
      await pg.close();
    }
  }, 120_000);
});
