import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import { type KeySource, openServerKeys, resolveMasterKeys } from './boot.js';
import { secureDataDir } from './key-files.js';
import { createEncryptionLedger } from './ledger.js';
import { openKeyPrimary } from './primary.js';
import { assertPrimaryNotRetired } from './rotation.js';

/**
 * The master keys as a running node holds them (src/main.ts): resolved from the configuration
 * before the store opens (a first embedded start writes the key file), then opened against the
 * database once it is (`openRuntimeKeys`).
 */
export function resolveRuntimeKeys(config: Config, log: Logger): KeySource {
  // Embedded mode: the data directory holds the database and the key file; private at every start.
  if (!config.databaseUrl && !config.dataDir.startsWith('memory://')) secureDataDir(config.dataDir);
  const keySource = resolveMasterKeys(config);
  if (keySource.generatedFile) {
    log.warn(
      { file: keySource.generatedFile },
      'No CREDVAULT_MASTER_KEYS set: generated a master key file. Back it up apart from the data: without it the secrets cannot be read.',
    );
  }
  return keySource;
}

/**
 * This node's keys: the server keys (keyring, box, fingerprint), the database's primary master
 * key with this node's heartbeat, and the encryption ledger (docs/security.md C5). Nothing starts
 * here: the caller starts and stops the heartbeat and the ledger.
 */
export async function openRuntimeKeys(d: { db: Db; spec: string; clock: Clock; log: Logger; nodeId: string }) {
  const keys = await openServerKeys(d.db, d.spec, d.clock);
  // Seal with the database's primary key, not this node's configuration order; report the
  // key ids this node holds so a promotion waits for every live node (docs/security.md "Key rotation").
  const primary = await openKeyPrimary({ db: d.db, keyring: keys.keyring, nodeId: d.nodeId, clock: d.clock });
  await assertPrimaryNotRetired(d.db, primary.current());
  const ledger = createEncryptionLedger({ db: d.db, keyring: keys.keyring, clock: d.clock, log: d.log });
  return { keys, primary, ledger };
}
