/**
 * The encryption ledger (docs/security.md C5): how many secrets each master key has sealed, summed
 * over every node and restart in `key_encryptions`. AES-GCM with random 96-bit IVs stays within
 * NIST's collision bound for about 2^32 encryptions under one key; credvault warns from 2^31
 * (ENCRYPTION_ROTATE_THRESHOLD) so operators rotate long before.
 *
 * Each seal is counted in memory (keyring noteEncryption); `record` adds the counts to the
 * table in one statement, every few seconds and at shutdown. A failed write keeps the counts
 * for the next one, so none is lost while the process lives.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import {
  ENCRYPTION_ROTATE_THRESHOLD,
  type Keyring,
  returnUnrecordedEncryptions,
  takeUnrecordedEncryptions,
} from './keyring.js';

export interface EncryptionLedgerDeps {
  db: Db;
  keyring: Keyring;
  clock: Clock;
  log?: Logger;
  /** How often `start` records (default 10 s). */
  intervalMs?: number;
}

export function createEncryptionLedger(d: EncryptionLedgerDeps) {
  let timer: NodeJS.Timeout | undefined;
  let recording: Promise<void> = Promise.resolve();
  const warned = new Set<string>();

  async function write(counts: Map<string, number>): Promise<void> {
    const now = d.clock.now();
    const rows = await sql<{ kid: string; encryptions: number | string }>`
      insert into key_encryptions (kid, encryptions, updated_at)
      select kid, n, ${now} from jsonb_to_recordset(${JSON.stringify([...counts].map(([kid, n]) => ({ kid, n })))}::jsonb) as c(kid text, n bigint)
      on conflict (kid) do update set encryptions = key_encryptions.encryptions + excluded.encryptions, updated_at = excluded.updated_at
      returning kid, encryptions`.execute(d.db);
    for (const row of rows.rows) {
      const total = Number(row.encryptions);
      if (total >= ENCRYPTION_ROTATE_THRESHOLD && !warned.has(row.kid)) {
        warned.add(row.kid);
        d.log?.warn(
          { kid: row.kid, encryptions: total },
          `master key "${row.kid}" has sealed ${total} secrets: put a new key first in CREDVAULT_MASTER_KEYS, restart the nodes and run \`credvault keys rewrap\` (AES-GCM keys are good for about 2^32 encryptions)`,
        );
      }
    }
  }

  /** Adds this process's unrecorded encryptions to the table (one at a time; a failure keeps them). */
  function record(): Promise<void> {
    // After the previous recording, whether it worked or not.
    recording = recording
      .catch(() => undefined)
      .then(async () => {
        const counts = takeUnrecordedEncryptions(d.keyring);
        if (counts.size === 0) return;
        try {
          await write(counts);
        } catch (err) {
          returnUnrecordedEncryptions(d.keyring, counts);
          throw err;
        }
      });
    return recording;
  }

  return {
    record,
    /** Records every `intervalMs` until `stop`. */
    start(): void {
      timer ??= setInterval(() => {
        record().catch(() => d.log?.warn('recording master-key encryption counts failed; will retry'));
      }, d.intervalMs ?? 10_000);
      timer.unref();
    },
    /** Stops the timer and records what is left. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await record();
    },
  };
}

export type EncryptionLedger = ReturnType<typeof createEncryptionLedger>;

/** Encryptions recorded per kid, over every node. */
export async function recordedEncryptions(db: Db): Promise<Map<string, number>> {
  const res = await sql<{
    kid: string;
    encryptions: number | string;
  }>`select kid, encryptions from key_encryptions`.execute(db);
  return new Map(res.rows.map((r) => [r.kid, Number(r.encryptions)]));
}
