/**
 * The primary master key is the database's choice, not each node's configuration order
 * (README "Key rotation"): `key_primary` names it, `credvault keys promote KID` changes it, and
 * each node reports the key ids it holds in `node_keys` (a heartbeat). A promotion is refused
 * while a live node lacks the key, and every node seals with the database's primary, picked up
 * at its next heartbeat: no node can meet a secret sealed under a key it does not hold.
 */
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import { decryptSecret, encryptSecret } from './envelope.js';
import { type Keyring, withPrimary } from './keyring.js';
import type { SecretBox } from './secret-box.js';

/** A node whose heartbeat is older than this is not live (it would refuse to start lacking the key). */
export const NODE_LIVE_SECONDS = 90;
export const HEARTBEAT_MS = 15_000;

export class KeyPrimaryError extends Error {}

export interface NodeKeys {
  node_id: string;
  kids: string[];
  primary_kid: string;
  heartbeat_at: Date;
}

export async function databasePrimary(db: Db): Promise<string | undefined> {
  const res = await sql<{ kid: string }>`select kid from key_primary where singleton`.execute(db);
  return res.rows[0]?.kid;
}

export async function listNodeKeys(db: Db): Promise<NodeKeys[]> {
  const res = await sql<{ node_id: string; kids: unknown; primary_kid: string; heartbeat_at: Date | string }>`
    select node_id, kids, primary_kid, heartbeat_at from node_keys order by node_id`.execute(db);
  return res.rows.map((r) => ({
    node_id: r.node_id,
    kids: (typeof r.kids === 'string' ? (JSON.parse(r.kids) as unknown) : r.kids) as string[],
    primary_kid: r.primary_kid,
    heartbeat_at: new Date(r.heartbeat_at),
  }));
}

/** The key status an admin may read (GET /v1/keys): key ids and heartbeats, never key material. */
export interface KeyStatusView {
  primary_kid: string | null;
  promoted_at: string | null;
  nodes: Array<{ node_id: string; kids: string[]; primary_kid: string; heartbeat_at: string; live: boolean }>;
}

export async function keyStatus(db: Db, now: Date): Promise<KeyStatusView> {
  const res = await sql<{ kid: string; promoted_at: Date | string }>`
    select kid, promoted_at from key_primary where singleton`.execute(db);
  const row = res.rows[0];
  const since = now.getTime() - NODE_LIVE_SECONDS * 1000;
  return {
    primary_kid: row?.kid ?? null,
    promoted_at: row ? new Date(row.promoted_at).toISOString() : null,
    nodes: (await listNodeKeys(db)).map((n) => ({
      node_id: n.node_id,
      kids: [...n.kids].sort(),
      primary_kid: n.primary_kid,
      heartbeat_at: n.heartbeat_at.toISOString(),
      live: n.heartbeat_at.getTime() >= since,
    })),
  };
}

/**
 * `keyring` sealing with the database's primary (the configured first key when none is recorded
 * yet); refused when this process does not hold it. Used by nodes and by `keys rewrap|status|retire`.
 */
export async function adoptDatabasePrimary(db: Db, keyring: Keyring): Promise<Keyring> {
  const kid = (await databasePrimary(db)) ?? keyring.primaryKid;
  if (!keyring.has(kid)) {
    throw new KeyPrimaryError(
      `The database's primary master key is "${kid}", which this node does not hold (it has: ${keyring.kids.join(', ')}). Add "${kid}" to CREDVAULT_MASTER_KEYS (or master.keys).`,
    );
  }
  return withPrimary(keyring, kid);
}

async function heartbeat(db: Db, nodeId: string, ring: Keyring, now: Date): Promise<void> {
  await sql`insert into node_keys (node_id, kids, primary_kid, heartbeat_at)
    values (${nodeId}, ${JSON.stringify(ring.kids)}::jsonb, ${ring.primaryKid}, ${now})
    on conflict (node_id) do update set kids = excluded.kids, primary_kid = excluded.primary_kid, heartbeat_at = excluded.heartbeat_at`.execute(
    db,
  );
}

/**
 * Makes `kid` the primary. Refused when a node with a heartbeat in the last NODE_LIVE_SECONDS
 * does not hold it (the message names the nodes), or when the caller itself lacks it.
 */
export async function promoteKey(
  db: Db,
  kid: string,
  callerRing: Keyring,
  now: Date,
): Promise<{ previous: string | undefined; nodes: NodeKeys[] }> {
  if (!callerRing.has(kid))
    throw new KeyPrimaryError(
      `Key "${kid}" is not in this machine's CREDVAULT_MASTER_KEYS (or master.keys): add it here and on every node first.`,
    );
  return db.transaction().execute(async (trx) => {
    // One promotion at a time: the row lock serializes concurrent promotions.
    const current = await sql<{ kid: string }>`select kid from key_primary where singleton for update`.execute(trx);
    const retired = await sql<{ kid: string }>`select kid from retired_keys where kid = ${kid}`.execute(trx);
    if (retired.rows.length > 0)
      throw new KeyPrimaryError(`Refused: key "${kid}" is retired; a retired key can never seal again.`);
    const since = new Date(now.getTime() - NODE_LIVE_SECONDS * 1000);
    const nodes = (await listNodeKeys(trx)).filter((n) => n.heartbeat_at >= since);
    const lacking = nodes.filter((n) => !n.kids.includes(kid));
    if (lacking.length > 0) {
      throw new KeyPrimaryError(
        `Refused: ${lacking.length} live node(s) do not hold key "${kid}": ${lacking.map((n) => `${n.node_id} (holds ${n.kids.join(', ')})`).join('; ')}. Add the key to their configuration and restart them, then promote again.`,
      );
    }
    await sql`insert into key_primary (singleton, kid, promoted_at) values (true, ${kid}, ${now})
      on conflict (singleton) do update set kid = excluded.kid, promoted_at = excluded.promoted_at`.execute(trx);
    return { previous: current.rows[0]?.kid, nodes };
  });
}

export interface KeyPrimary {
  /** Seals with the database's primary as last seen; opens with any held key. */
  box: SecretBox;
  current(): Keyring;
  /** Heartbeat and re-read of the database's primary (every HEARTBEAT_MS once started). */
  refresh(): Promise<void>;
  start(onError: (err: unknown) => void): void;
  stop(): Promise<void>;
}

/**
 * At start: records the configured first key as primary when the database has none yet, then
 * refuses to start when the database's primary is a key this node does not hold.
 */
export async function openKeyPrimary(opts: {
  db: Db;
  keyring: Keyring;
  nodeId: string;
  clock: Clock;
}): Promise<KeyPrimary> {
  const { db, nodeId, clock } = opts;
  // Never records a retired key (the start is then refused by assertPrimaryNotRetired).
  await sql`insert into key_primary (singleton, kid, promoted_at)
    select true, ${opts.keyring.primaryKid}, ${clock.now()}
    where not exists (select 1 from retired_keys where kid = ${opts.keyring.primaryKid})
    on conflict (singleton) do nothing`.execute(db);
  const adopt = (): Promise<Keyring> => adoptDatabasePrimary(db, opts.keyring);
  let ring = await adopt();
  await heartbeat(db, nodeId, ring, clock.now());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const refresh = async () => {
    ring = await adopt();
    await heartbeat(db, nodeId, ring, clock.now());
  };
  return {
    box: {
      seal: (plaintext, place) => encryptSecret(ring, plaintext, place),
      open: (envelope, place) => decryptSecret(ring, envelope, place),
    },
    current: () => ring,
    refresh,
    start(onError) {
      timer ??= setInterval(() => {
        running = refresh().catch(onError);
      }, HEARTBEAT_MS).unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
      await sql`delete from node_keys where node_id = ${nodeId}`.execute(db).catch(() => undefined);
    },
  };
}
