import { createEncryptionLedger } from '../../crypto/ledger.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { type Config, loadConfig } from '../../config.js';
import { KeyConfigError, openServerKeys, resolveMasterKeys } from '../../crypto/boot.js';
import { generateKey } from '../../crypto/keyring.js';
import { adoptDatabasePrimary } from '../../crypto/primary.js';
import {
  DEFAULT_BATCH_SIZE,
  type KeyRotation,
  type KeyStatus,
  type RewrapProgress,
  type RewrapResult,
  createKeyRotation,
} from '../../crypto/rotation.js';
import { systemClock } from '../../lib/clock.js';
import { openRuntimeStore } from '../../store/runtime.js';

const ROTATION_HELP = `
Rotating the master key, online (docs/security.md "Key rotation"). Which key seals new secrets
is recorded in the database, not by the order of CREDVAULT_MASTER_KEYS:
  1. credvault keys generate                 -> prints kid:base64 for the new key
     (embedded: credvault keys generate --add appends it to master.keys)
  2. Add it to CREDVAULT_MASTER_KEYS on every node (any position), restart nodes one by one:
     they can now decrypt with it, and still seal with the current primary.
  3. credvault keys nodes                    -> each live node and the key ids it holds
  4. credvault keys promote NEW_KID          -> the database's primary; refused while a live node
                                                lacks the key; nodes switch within 15 s
  5. credvault keys rewrap                   -> re-seals every secret under the new primary, in
                                                batches, while nodes keep serving; re-run resumes.
  6. credvault keys status                   -> the old key should show 0 secrets.
  7. credvault keys retire OLD_KID           -> refuses while any secret still uses it.
  8. Remove the old key from CREDVAULT_MASTER_KEYS on every node.
status, rewrap, retire, nodes and promote work on the database configured by the environment
(DATABASE_URL or CREDVAULT_DATA_DIR) with the keys of CREDVAULT_MASTER_KEYS (or the embedded key
file). On the embedded database (PGlite) stop the server first: only one process can open it.`;

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const fmt = (n: number): string => n.toLocaleString('en-US');

/** The configured key spec; unlike `serve`, never generates a key file. */
function masterKeySpec(config: Config): string {
  if (!config.masterKeys && !config.databaseUrl && !existsSync(join(config.dataDir, 'master.keys'))) {
    throw new KeyConfigError(
      `No master keys: CREDVAULT_MASTER_KEYS is unset and ${join(config.dataDir, 'master.keys')} does not exist.`,
    );
  }
  return resolveMasterKeys(config).spec;
}

/** Opens the store as serve does (migrations applied), proves the keys against the canary, runs `fn`. */
async function withRotation<T>(fn: (rotation: KeyRotation) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const spec = masterKeySpec(config);
  const { store } = await openRuntimeStore(config, { poolSize: 2 });
  try {
    const opened = await openServerKeys(store.db, spec, systemClock);
    // Rewrap to, and retire anything but, the database's primary (crypto/primary.ts), whatever the order here.
    const keyring = await adoptDatabasePrimary(store.db, opened.keyring);
    // A rewrap seals every secret again: those encryptions count against the key too (C5).
    const ledger = createEncryptionLedger({ db: store.db, keyring, clock: systemClock });
    try {
      return await fn(createKeyRotation({ db: store.db, keyring }));
    } finally {
      await ledger
        .stop()
        .catch(() => process.stderr.write('warning: recording the encryption count of this run failed\n'));
    }
  } finally {
    await store.close();
  }
}

/** --json shapes: snake_case, like the HTTP API. */
const statusJson = (s: KeyStatus) => ({
  primary_kid: s.primaryKid,
  pending: s.pending,
  keys: s.keys.map((k) => ({
    kid: k.kid,
    secrets: k.secrets,
    tables: k.tables,
    configured: k.configured,
    primary: k.primary,
    retired_at: k.retiredAt,
    encryptions: k.encryptions,
    rotate_soon: k.rotateSoon,
  })),
});
const resultJson = (primaryKid: string, r: RewrapResult) => ({
  type: 'result',
  primary_kid: primaryKid,
  total: r.total,
  rewrapped: r.rewrapped,
  failed: r.failed,
  failures: r.failures,
  busy: r.busy,
  interrupted: r.interrupted,
  remaining: r.remaining,
  elapsed_ms: r.elapsedMs,
});

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > 10_000) {
    throw new InvalidArgumentError('must be an integer from 1 to 10000');
  }
  return n;
}

function printStatus(s: KeyStatus): void {
  out(`Primary key: ${s.primaryKid}`);
  const width = Math.max(3, ...s.keys.map((k) => k.kid.length));
  out(`${'KID'.padEnd(width)}  ${'SECRETS'.padStart(10)}  ${'ENCRYPTIONS'.padStart(13)}  STATE`);
  for (const k of s.keys) {
    const where = Object.entries(k.tables)
      .map(([t, n]) => `${t} ${fmt(n)}`)
      .join(', ');
    const state = !k.configured
      ? k.kid === '?'
        ? 'malformed envelopes'
        : k.secrets > 0
          ? 'NOT CONFIGURED: these secrets cannot be read; add the key to CREDVAULT_MASTER_KEYS'
          : `retired ${k.retiredAt ?? ''}, not configured`
      : k.primary
        ? k.retiredAt
          ? `primary, but RETIRED ${k.retiredAt}: promote a current key (credvault keys promote)`
          : 'primary'
        : k.retiredAt
          ? `decrypt-only, retired ${k.retiredAt}: remove it from CREDVAULT_MASTER_KEYS`
          : k.secrets > 0
            ? 'decrypt-only: run `credvault keys rewrap`'
            : `decrypt-only, unused: \`credvault keys retire ${k.kid}\``;
    out(
      `${k.kid.padEnd(width)}  ${fmt(k.secrets).padStart(10)}  ${fmt(k.encryptions).padStart(13)}  ${state}${where ? ` (${where})` : ''}`,
    );
  }
  for (const k of s.keys.filter((x) => x.rotateSoon && x.primary)) {
    out(
      `WARNING: key "${k.kid}" has performed ${fmt(k.encryptions)} encryptions; AES-GCM keys are good for about 2^32. Add a new key on every node (\`credvault keys generate\`), restart them, \`credvault keys promote\` it, then run \`credvault keys rewrap\`.`,
    );
  }
}

/** Progress: a rewritten line on a TTY, a plain line every few seconds otherwise, NDJSON with --json. */
function progressReporter(json: boolean) {
  const started = Date.now();
  const tty = process.stdout.isTTY === true;
  let lastLine = 0;
  let wroteTty = false;
  return {
    report(p: RewrapProgress): void {
      if (json) return out(JSON.stringify({ type: 'progress', ...p }));
      const now = Date.now();
      if (!tty && now - lastLine < 2000) return;
      lastLine = now;
      const done = Math.min(p.done, p.total);
      const secs = (now - started) / 1000;
      const rate = secs > 0 ? done / secs : 0;
      const eta = rate > 0 ? `ETA ${Math.ceil((p.total - done) / rate)}s` : 'ETA -';
      const pct = p.total > 0 ? Math.floor((100 * done) / p.total) : 100;
      const line = `${fmt(done)}/${fmt(p.total)} (${pct}%)  ${fmt(Math.round(rate))}/s  ${eta}  [${p.table}]${p.failed ? `  ${fmt(p.failed)} failed` : ''}`;
      if (tty) {
        process.stdout.write(`\r\x1b[K${line}`);
        wroteTty = true;
      } else out(line);
    },
    end(): void {
      if (wroteTty) process.stdout.write('\n');
    },
  };
}

async function runRewrap(opts: { batchSize: number; json?: boolean }): Promise<void> {
  const json = opts.json === true;
  const ac = new AbortController();
  const onSigint = (): void => {
    ac.abort();
    process.stderr.write(
      '\nInterrupted: stopping after the current batch (Ctrl-C again to quit at once; nothing is lost either way).\n',
    );
  };
  process.once('SIGINT', onSigint);
  try {
    await withRotation(async (rotation) => {
      const before = await rotation.keyStatus();
      if (!json)
        out(
          `Rewrapping ${fmt(before.pending)} secret(s) to key "${before.primaryKid}" in batches of ${opts.batchSize} rows.`,
        );
      const progress = progressReporter(json);
      const r = await rotation.rewrap({
        batchSize: opts.batchSize,
        signal: ac.signal,
        onProgress: (p) => progress.report(p),
      });
      progress.end();
      if (json) out(JSON.stringify(resultJson(before.primaryKid, r)));
      else {
        out(
          `Rewrapped ${fmt(r.rewrapped)} secret(s) in ${(r.elapsedMs / 1000).toFixed(1)}s; ${fmt(r.remaining)} still under other keys.`,
        );
        if (r.busy > 0) out(`${fmt(r.busy)} row(s) kept changing during the run: run \`credvault keys rewrap\` again.`);
        if (!r.interrupted && r.failed === 0 && r.remaining > 0) {
          out(
            'Secrets under old keys were written meanwhile (a node still on an old primary?): restart every node with the new primary, then run `credvault keys rewrap` again.',
          );
        }
      }
      if (r.interrupted) {
        process.stderr.write(
          `Interrupted after ${fmt(r.rewrapped)} of ${fmt(r.total)}: re-run \`credvault keys rewrap\` to resume; every secret stays readable meanwhile.\n`,
        );
        process.exitCode = 130;
        return;
      }
      if (r.failed > 0) {
        const list = r.failures
          .slice(0, 10)
          .map((f) => `  ${f.table} ${f.row} ${f.field}: ${f.reason}`)
          .join('\n');
        throw new Error(`${fmt(r.failed)} secret(s) could not be decrypted and were left as they were:\n${list}`);
      }
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('Generate, promote, inspect, rewrap and retire master keys.')
    .addHelpText('after', ROTATION_HELP);
  keys
    .command('generate')
    .description(
      'Print a new master key as kid:base64, for CREDVAULT_MASTER_KEYS (or add it to master.keys with --add).',
    )
    .option('--kid <kid>', 'key id (letters, digits, _ and -)')
    .option(
      '--add',
      'embedded mode: append the key to master.keys in CREDVAULT_DATA_DIR (it decrypts; `keys promote` makes it seal) and print only its kid',
    )
    .action(async (opts: { kid?: string; add?: boolean }) => {
      const key = generateKey(opts.kid);
      if (!opts.add) return void process.stdout.write(`${key.spec}\n`);
      const { addKeyToFile } = await import('./keys-promote.js');
      const file = addKeyToFile(loadConfig(), key);
      process.stderr.write(
        `added key ${key.kid} to ${file}: restart the server, then credvault keys promote ${key.kid} (server stopped on the embedded database)\n`,
      );
      process.stdout.write(`${key.kid}\n`);
    });
  keys
    .command('status')
    .description('Show, per key id, how many secrets it protects (every table), and which key is primary.')
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure (database unreachable, keys do not match the database), 2 usage.',
    )
    .action(async (opts: { json?: boolean }) => {
      const s = await withRotation((r) => r.keyStatus());
      if (opts.json) out(JSON.stringify(statusJson(s)));
      else printStatus(s);
    });
  keys
    .command('rewrap')
    .description('Re-encrypt every secret not under the primary key, in small batches, while nodes keep serving.')
    .option('--batch-size <n>', 'rows per batch', positiveInt, DEFAULT_BATCH_SIZE)
    .option('--json', 'print progress and the result as JSON lines ({"type":"progress"|"result",...})')
    .addHelpText(
      'after',
      `
Each batch is one guarded UPDATE: a row changed meanwhile by an import is re-read, never overwritten.
Ctrl-C stops after the current batch (exit 130); running it again resumes, since it only touches
secrets not yet under the primary. A killed run leaves every secret readable.
Exit codes: 0 done, 1 failure (e.g. secrets that could not be decrypted), 2 usage, 130 interrupted.`,
    )
    .action((opts: { batchSize: number; json?: boolean }) => runRewrap(opts));
  keys
    .command('retire')
    .description('Record that a key is no longer used; refuses while any secret still uses it.')
    .argument('<kid>', 'key id to retire')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Retire only once every node runs with the new primary (credvault keys nodes). A retired key can never
be promoted again. Afterwards remove it from
CREDVAULT_MASTER_KEYS. Exit codes: 0 retired, 1 refused (secrets still use it) or failure, 2 usage.`,
    )
    .action(async (kid: string, opts: { json?: boolean }) => {
      const r = await withRotation((rot) => rot.retire(kid));
      if (opts.json) out(JSON.stringify({ kid: r.kid, retired_at: r.retiredAt, already_retired: r.alreadyRetired }));
      else if (r.alreadyRetired) out(`Key "${r.kid}" was already retired (${r.retiredAt}).`);
      else out(`Retired key "${r.kid}": no secret uses it. Remove it from CREDVAULT_MASTER_KEYS on every node.`);
    });
}
