/**
 * `keys promote KID` (the database's primary key, crypto/primary.ts), `keys nodes`, and
 * `keys generate --add` (appends to the embedded master.keys).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config.js';

/** Appends `key` to master.keys (a list, one key a line); refuses a duplicate kid or a missing file. */
export function addKeyToFile(config: Config, key: { kid: string; spec: string }): string {
  if (config.masterKeys || config.databaseUrl) {
    throw new Error(
      '--add edits the embedded master.keys; with CREDVAULT_MASTER_KEYS add the printed key to it on every node instead (credvault keys generate).',
    );
  }
  const file = join(config.dataDir, 'master.keys');
  if (!existsSync(file))
    throw new Error(`${file} does not exist: start the server once (it creates it) or restore it from your backup.`);
  const text = readFileSync(file, 'utf8');
  if (text.split(/[\n,]/).some((l) => l.trim().startsWith(`${key.kid}:`)))
    throw new Error(`${file} already has a key "${key.kid}"`);
  appendFileSync(file, `${text.endsWith('\n') || text === '' ? '' : '\n'}${key.spec}\n`, { mode: 0o600 });
  return file;
}

async function withDatabase<T>(
  fn: (args: { db: import('../../store/db.js').Db; keyring: import('../../crypto/keyring.js').Keyring }) => Promise<T>,
): Promise<T> {
  const [{ loadConfig }, { openRuntimeStore }, { openServerKeys, resolveMasterKeys }, { systemClock }] =
    await Promise.all([
      import('../../config.js'),
      import('../../store/runtime.js'),
      import('../../crypto/boot.js'),
      import('../../lib/clock.js'),
    ]);
  const config = loadConfig();
  if (!config.masterKeys && !config.databaseUrl && !existsSync(join(config.dataDir, 'master.keys'))) {
    throw new Error(
      `No master keys: CREDVAULT_MASTER_KEYS is unset and ${join(config.dataDir, 'master.keys')} does not exist.`,
    );
  }
  const spec = resolveMasterKeys(config).spec;
  // The store as serve opens it (src/store/runtime.ts): same options, migrations applied.
  const { store } = await openRuntimeStore(config, { poolSize: 2 });
  try {
    const { keyring } = await openServerKeys(store.db, spec, systemClock);
    return await fn({ db: store.db, keyring });
  } finally {
    await store.close();
  }
}

export function registerKeyPromotion(program: Command): void {
  const keys = program.commands.find((c) => c.name() === 'keys');
  if (!keys) throw new Error('the keys command is not registered');
  keys
    .command('promote')
    .description(
      'Make KID the key that seals new secrets, on every node (refused while a live node lacks it); then run keys rewrap.',
    )
    .argument('<kid>', 'key id, configured on every node')
    .option('--json', 'print {"primary_kid", "previous", "nodes"}')
    .action(async (kid: string, opts: { json?: boolean }) => {
      const { promoteKey, HEARTBEAT_MS } = await import('../../crypto/primary.js');
      const result = await withDatabase(({ db, keyring }) => promoteKey(db, kid, keyring, new Date()));
      if (opts.json)
        return void process.stdout.write(
          `${JSON.stringify({ primary_kid: kid, previous: result.previous ?? null, nodes: result.nodes.map((n) => n.node_id) })}\n`,
        );
      process.stdout.write(
        `primary key: ${kid} (was ${result.previous ?? 'none'}); ${result.nodes.length} live node(s) hold it and switch within ${HEARTBEAT_MS / 1000} s.\nNext: credvault keys rewrap\n`,
      );
    });
  keys
    .command('nodes')
    .description('Show each node seen recently: the key ids it holds, the primary it seals with, its last heartbeat.')
    .option('--json', 'print the nodes as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listNodeKeys, databasePrimary } = await import('../../crypto/primary.js');
      const { nodes, primary } = await withDatabase(async ({ db }) => ({
        nodes: await listNodeKeys(db),
        primary: await databasePrimary(db),
      }));
      if (opts.json) return void process.stdout.write(`${JSON.stringify({ primary_kid: primary ?? null, nodes })}\n`);
      process.stdout.write(`database primary: ${primary ?? '-'}\n`);
      for (const n of nodes)
        process.stdout.write(
          `${n.node_id}  holds ${n.kids.join(', ')}  seals with ${n.primary_kid}  heartbeat ${n.heartbeat_at.toISOString()}\n`,
        );
    });
}
