import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { secureDataDir } from '../crypto/key-files.js';
import { type StoreHandle, openStore, storeOptions } from './db.js';
import { migrate } from './migrate.js';

/**
 * The store as every command opens it (serve, migrate, keys, tokens bootstrap): the embedded
 * data directory made private, the database opened with the configured options (or `reuse`,
 * tests), pending migrations applied. The composition root (src/main.ts) and the commands that
 * work on the database itself use it; it stays light so those commands start fast. Resolve the
 * master keys first: a first start writes the key file before the database exists.
 */
export async function openRuntimeStore(
  config: Config,
  opts: { poolSize: number; log?: Logger; reuse?: StoreHandle },
): Promise<{ store: StoreHandle; applied: number[] }> {
  if (!opts.reuse && !config.databaseUrl && !config.dataDir.startsWith('memory://')) secureDataDir(config.dataDir);
  const store =
    opts.reuse ??
    (await openStore({ ...storeOptions(config), poolSize: opts.poolSize, ...(opts.log ? { log: opts.log } : {}) }));
  try {
    return { store, applied: await migrate(store.db) };
  } catch (err) {
    if (!opts.reuse) await store.close();
    throw err;
  }
}
