import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import { assertPrivateFile } from './key-files.js';
import type { Db } from '../store/db.js';
import { DecryptError, decryptSecret, encryptSecret, envelopeKid } from './envelope.js';
import { type Keyring, generateKey, parseMasterKeys } from './keyring.js';
import { serverSecretPlace as serverPlace } from './places.js';
import type { SecretBox } from './secret-box.js';

export class KeyConfigError extends Error {}

const CANARY_TEXT = 'credvault-canary-v1';

export interface KeySource {
  spec: string;
  /** Set when credvault generated the key file itself (embedded mode). */
  generatedFile?: string;
  file?: string;
}

/**
 * Master keys: CREDVAULT_MASTER_KEYS when set; in embedded mode a key file in the data dir,
 * generated (mode 0600) at first start; on PostgreSQL, no keys is a refusal.
 */
export function resolveMasterKeys(opts: {
  masterKeys?: string | undefined;
  databaseUrl?: string | undefined;
  dataDir: string;
}): KeySource {
  if (opts.masterKeys) return { spec: opts.masterKeys };
  if (opts.databaseUrl) {
    throw new KeyConfigError(
      'CREDVAULT_MASTER_KEYS is required with DATABASE_URL: set it to kid:base64(32 bytes), e.g. from `credvault keys generate`.',
    );
  }
  const file = join(opts.dataDir, 'master.keys');
  if (existsSync(file)) {
    try {
      assertPrivateFile(file, 'The master key file');
    } catch (err) {
      throw new KeyConfigError(err instanceof Error ? err.message : String(err));
    }
    return { spec: readMasterKeysFile(file), file };
  }
  // A database without its key file: a new key could read none of its secrets.
  if (existsSync(join(opts.dataDir, 'pgdata'))) {
    throw new KeyConfigError(
      `The master key file ${file} is missing, but ${opts.dataDir} already holds a database: its secrets can only be read with that file. Restore master.keys from your backup (or set CREDVAULT_MASTER_KEYS to its content); credvault does not make a new key for existing data.`,
    );
  }
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const { spec } = generateKey();
  writeFileSync(file, `${spec}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { spec, generatedFile: file, file };
}

/**
 * master.keys holds a list: one `kid:base64` per line (or comma-separated), any order; the
 * database records which one is primary (`credvault keys promote`). Lines starting with # are comments.
 */
export function readMasterKeysFile(file: string): string {
  return readFileSync(file, 'utf8')
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join(',');
}

export function createSecretBox(keyring: Keyring): SecretBox {
  return {
    seal: (plaintext, place) => encryptSecret(keyring, plaintext, place),
    open: (envelope, place) => decryptSecret(keyring, envelope, place),
  };
}

export interface ServerKeys {
  keyring: Keyring;
  box: SecretBox;
  /** HMAC-SHA256 under the server's fingerprint key (survives master-key rotation). */
  fingerprint(secret: string): string;
}

async function ensureServerSecret(
  db: Db,
  keyring: Keyring,
  clock: Clock,
  name: string,
  make: () => string,
): Promise<string> {
  await db
    .insertInto('server_secrets')
    .values({ name, envelope: encryptSecret(keyring, make(), serverPlace(name)), created_at: clock.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await db
    .selectFrom('server_secrets')
    .select('envelope')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return row.envelope;
}

/**
 * Opens the keyring against the database: writes the canary at first start, then proves the
 * configured keys decrypt it. A wrong or missing key stops the start with the key ids expected.
 */
export async function openServerKeys(db: Db, spec: string, clock: Clock): Promise<ServerKeys> {
  const keyring = parseMasterKeys(spec);
  const canary = await ensureServerSecret(db, keyring, clock, 'canary', () => CANARY_TEXT);
  const kid = safeKid(canary);
  if (!keyring.has(kid)) {
    throw new KeyConfigError(
      `The database's secrets are encrypted with key id "${kid}", which CREDVAULT_MASTER_KEYS does not configure (it has: ${keyring.kids.join(', ')}). Configure the key "${kid}".`,
    );
  }
  let text: string;
  try {
    text = decryptSecret(keyring, canary, serverPlace('canary'));
  } catch (err) {
    if (err instanceof DecryptError) {
      throw new KeyConfigError(
        `The configured key "${kid}" cannot decrypt this database's canary: it is not the key the data was written with. Configure the original key "${kid}".`,
      );
    }
    throw err;
  }
  if (text !== CANARY_TEXT) throw new KeyConfigError('The key canary holds an unexpected value; refusing to start.');
  await checkKeyFingerprints(db, keyring, clock);
  const fpEnvelope = await ensureServerSecret(db, keyring, clock, 'fingerprint_key', () =>
    randomBytes(32).toString('base64'),
  );
  const fpKey = Buffer.from(decryptSecret(keyring, fpEnvelope, serverPlace('fingerprint_key')), 'base64');
  return {
    keyring,
    box: createSecretBox(keyring),
    fingerprint: (secret) => createHmac('sha256', fpKey).update(secret, 'utf8').digest('hex'),
  };
}

/**
 * Key fingerprints (issue 13 item 5; security.md C6): the canary proves only the key that sealed
 * it. Each configured kid's fingerprint (keyring.fingerprint: an HMAC of a fixed label under the
 * key, revealing nothing about it) is recorded the first time any node sees the kid; a start
 * whose key for a known kid has other material is refused, naming the kid, before it can seal
 * anything the other nodes cannot open.
 */
export async function checkKeyFingerprints(db: Db, keyring: Keyring, clock: Clock): Promise<void> {
  const mine = keyring.kids.map((kid) => ({ kid, fingerprint: keyring.fingerprint(kid) }));
  await sql`insert into key_fingerprints (kid, fingerprint, first_seen_at)
    select kid, fingerprint, ${clock.now()} from jsonb_to_recordset(${JSON.stringify(mine)}::jsonb) as k(kid text, fingerprint text)
    on conflict (kid) do nothing`.execute(db);
  const recorded = await db
    .selectFrom('key_fingerprints')
    .select(['kid', 'fingerprint'])
    .where('kid', 'in', keyring.kids)
    .execute();
  const known = new Map(recorded.map((r) => [r.kid, r.fingerprint]));
  for (const { kid, fingerprint } of mine) {
    if (known.get(kid) !== fingerprint) {
      throw new KeyConfigError(
        `The master key "${kid}" in CREDVAULT_MASTER_KEYS is not the key "${kid}" this database already knows (its fingerprint differs): another node or an earlier start used other key material under the same id. Configure the original key "${kid}" on every node, or give the new key a new id.`,
      );
    }
  }
}

function safeKid(envelope: string): string {
  try {
    return envelopeKid(envelope);
  } catch {
    throw new KeyConfigError('The key canary in the database is malformed; refusing to start.');
  }
}
