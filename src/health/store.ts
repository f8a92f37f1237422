import { type Selectable, sql } from 'kysely';
import { isoSeconds } from '../lib/clock.js';
import { type QueryTemplate, compileTemplate } from '../lib/query-template.js';
import { type Db, runTemplate } from '../store/db.js';
import { leaseFree, leaseUntil } from '../store/lease.js';
import { changeTypes, recordAppHealthChange, recordCredentialChanges } from '../events/changes.js';
import type { CredentialsTable } from '../store/schema.js';
import { CREDENTIAL_COLUMNS } from '../credentials/repository.js';

export type WorkRow = Selectable<CredentialsTable>;

/** The row changes a finished check or refresh writes, guarded by lease and version. */
export interface WorkResult {
  health?: Record<string, unknown>;
  healthStatus?: string;
  properties?: Record<string, unknown>;
  secrets?: Record<string, string>;
  identity?: string;
  tokenExpiresAt?: Date | null;
  cachedToken?: string | null;
  nextCheckAt?: Date | null;
  consecutiveFailures?: number;
}

/** A check's final write: the row it worked (its version guards the write) and its result. */
export interface FinalWrite {
  row: WorkRow;
  r: WorkResult;
}

const COLUMN_TYPES = {
  health: 'jsonb',
  health_status: 'text',
  properties: 'jsonb',
  secrets: 'jsonb',
  identity: 'text',
  token_expires_at: 'timestamptz',
  cached_token: 'text',
  next_check_at: 'timestamptz',
  consecutive_failures: 'int4',
} as const;
type ResultColumn = keyof typeof COLUMN_TYPES;
const RESULT_COLUMNS = Object.keys(COLUMN_TYPES) as ResultColumn[];

/** The columns a result sets (and their values); absent fields keep the stored value. */
function resultColumns(r: WorkResult) {
  return {
    ...(r.health ? { health: JSON.stringify(r.health) } : {}),
    ...(r.healthStatus ? { health_status: r.healthStatus } : {}),
    ...(r.properties ? { properties: JSON.stringify(r.properties) } : {}),
    ...(r.secrets ? { secrets: JSON.stringify(r.secrets) } : {}),
    ...(r.identity ? { identity: r.identity } : {}),
    ...(r.tokenExpiresAt !== undefined ? { token_expires_at: r.tokenExpiresAt } : {}),
    ...(r.cachedToken !== undefined ? { cached_token: r.cachedToken } : {}),
    ...(r.nextCheckAt !== undefined ? { next_check_at: r.nextCheckAt } : {}),
    ...(r.consecutiveFailures !== undefined ? { consecutive_failures: r.consecutiveFailures } : {}),
  } satisfies Partial<Record<ResultColumn, unknown>>;
}

/** The same columns as resultColumns, as values for jsonb_to_recordset (objects and Dates left to JSON). */
function resultValues(r: WorkResult): Partial<Record<ResultColumn, unknown>> {
  const out: Partial<Record<ResultColumn, unknown>> = {};
  if (r.health) out.health = r.health;
  if (r.healthStatus) out.health_status = r.healthStatus;
  if (r.properties) out.properties = r.properties;
  if (r.secrets) out.secrets = r.secrets;
  if (r.identity) out.identity = r.identity;
  if (r.tokenExpiresAt !== undefined) out.token_expires_at = r.tokenExpiresAt;
  if (r.cachedToken !== undefined) out.cached_token = r.cachedToken;
  if (r.nextCheckAt !== undefined) out.next_check_at = r.nextCheckAt;
  if (r.consecutiveFailures !== undefined) out.consecutive_failures = r.consecutiveFailures;
  return out;
}

/** The row as a final write leaves it: what `write` would read back, without reading it back. */
function afterFinalWrite(row: WorkRow, r: WorkResult): WorkRow {
  return {
    ...row,
    ...(r.health ? { health: r.health } : {}),
    ...(r.healthStatus ? { health_status: r.healthStatus } : {}),
    ...(r.properties ? { properties: r.properties } : {}),
    ...(r.secrets ? { secrets: r.secrets } : {}),
    ...(r.identity ? { identity: r.identity } : {}),
    ...(r.tokenExpiresAt !== undefined ? { token_expires_at: r.tokenExpiresAt } : {}),
    ...(r.cachedToken !== undefined ? { cached_token: r.cachedToken } : {}),
    ...(r.nextCheckAt !== undefined ? { next_check_at: r.nextCheckAt } : {}),
    ...(r.consecutiveFailures !== undefined ? { consecutive_failures: r.consecutiveFailures } : {}),
    lease_owner: null,
    lease_expires_at: null,
    version: row.version + 1,
  };
}

/** SQL for health work. Lease times use the database clock so nodes with skewed clocks agree. */
export function createHealthStore(db: Db, opts: { now?: () => Date } = {}) {
  const now = opts.now ?? (() => new Date());
  /** By the comma-joined columns a result sets (a handful of shapes: ok, failure, learned identity...). */
  const writeManyTemplates = new Map<string, QueryTemplate<{ id: string }>>();

  /**
   * The final writes of many checks in one statement: the rows arrive as one jsonb array
   * (jsonb_to_recordset), so the SQL text is the same for every batch size and is prepared once;
   * neither Kysely nor the driver does per-row work. Only ids come back: the caller knows the
   * rows it wrote (see afterFinalWrite).
   */
  function writeManyTemplate(columns: ResultColumn[]): QueryTemplate<{ id: string }> {
    const assignments = columns.map((c) => sql`${sql.ref(c)} = ${sql.ref(`v.${c}`)}`);
    const types = sql.raw(['id uuid', 'version int4', ...columns.map((c) => `${c} ${COLUMN_TYPES[c]}`)].join(', '));
    return compileTemplate((param) => {
      const query = sql<{ id: string }>`
        update credentials as c
        set ${sql.join([...assignments, sql`lease_owner = null`, sql`lease_expires_at = null`, sql`version = c.version + 1`])}
        from jsonb_to_recordset(${param('rows')}::jsonb) as v(${types})
        where c.id = v.id and c.lease_owner = ${param('owner')} and c.version = v.version
        returning c.id`;
      return { compile: () => query.compile(db) };
    });
  }

  /** The guarded single write (see `write`) on `q`, the store's db or a transaction. */
  function writeOn(
    q: Db,
    id: string,
    owner: string,
    version: number,
    r: WorkResult,
    release: boolean,
  ): Promise<WorkRow | undefined> {
    return q
      .updateTable('credentials')
      .set({
        ...resultColumns(r),
        ...(release ? { lease_owner: null, lease_expires_at: null } : {}),
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
  }

  /** The grouped final writes (see `writeMany`) on `q`, the store's db or a transaction. */
  async function writeManyOn(q: Db, owner: string, items: FinalWrite[]): Promise<Set<string>> {
    const groups = new Map<string, { columns: ResultColumn[]; rows: Record<string, unknown>[] }>();
    for (const { row, r } of items) {
      const values = resultValues(r);
      const columns = RESULT_COLUMNS.filter((c) => c in values);
      const key = columns.join(',');
      const group = groups.get(key) ?? { columns, rows: [] };
      group.rows.push({ id: row.id, version: row.version, ...values });
      groups.set(key, group);
    }
    const written = new Set<string>();
    for (const [key, { columns, rows }] of groups) {
      let template = writeManyTemplates.get(key);
      if (!template) {
        template = writeManyTemplate(columns);
        writeManyTemplates.set(key, template);
      }
      for (const row of await runTemplate(q, template, { owner, rows: JSON.stringify(rows) })) written.add(row.id);
    }
    return written;
  }

  let getTemplate: QueryTemplate<WorkRow> | undefined;
  return {
    async get(id: string): Promise<WorkRow | undefined> {
      // The read of every access-token and proxied call: compiled once and prepared (columns
      // named, not `*`, see CREDENTIAL_COLUMNS), instead of built by Kysely on each request.
      getTemplate ??= compileTemplate((param) =>
        db.selectFrom('credentials').select(CREDENTIAL_COLUMNS).where('id', '=', param('id')),
      );
      const [row] = await runTemplate(db, getTemplate, { id });
      return row;
    },

    /** Takes the lease on one credential; undefined when another worker holds it. */
    async acquire(id: string, owner: string, leaseMs: number): Promise<WorkRow | undefined> {
      return db
        .updateTable('credentials')
        .set({ lease_owner: owner, lease_expires_at: leaseUntil(leaseMs) })
        .where('id', '=', id)
        .where(leaseFree)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Claims up to `limit` due credentials for this worker, fairly (issue 13 item 7): round-robin
     * across accounts (each account's most overdue row first, then each one's second...), and no
     * account beyond `perAccount` rows leased by this node at once, so one tenant's backlog or
     * hanging host cannot hold every slot (a cluster of n nodes gives one account n × perAccount).
     * FOR UPDATE SKIP LOCKED makes concurrent claimers on other nodes take other rows; the lease
     * keeps them ours.
     */
    async claimDue(owner: string, leaseMs: number, limit: number, perAccount = limit): Promise<WorkRow[]> {
      // statement_timestamp(), not clock_timestamp(): a stable value can bound the
      // credentials_account_due index scans, so they read only due rows.
      const res = await sql<WorkRow>`
        update credentials set lease_owner = ${owner}, lease_expires_at = clock_timestamp() + ${`${leaseMs} milliseconds`}::interval
        where id in (
            select pick.id from (
              select d.id, d.next_check_at, busy.n, row_number() over (partition by a.id order by d.next_check_at) as rn
              from accounts a
              cross join lateral (
                select count(*)::int as n from credentials l
                where l.account_id = a.id and l.lease_owner = ${owner} and l.lease_expires_at >= clock_timestamp()
              ) busy
              cross join lateral (
                select x.id, x.next_check_at from credentials x
                where x.account_id = a.id and x.next_check_at <= statement_timestamp() and ${leaseFree}
                order by x.next_check_at limit ${perAccount}
                -- Skipped while scanning: a claim racing on another node takes the next rows.
                for update of x skip locked
              ) d
            ) pick
            where pick.rn <= ${perAccount} - pick.n
            order by pick.rn, pick.next_check_at
            limit ${limit}
        )
        returning *`.execute(db);
      return res.rows;
    },

    /** Lets go of a claimed row without checking it, due again at `until` (a host backing off). */
    async defer(id: string, owner: string, until: Date): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ lease_owner: null, lease_expires_at: null, next_check_at: until })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    /** Writes results if we still hold the lease and nobody re-imported meanwhile. */
    async write(
      id: string,
      owner: string,
      version: number,
      r: WorkResult,
      release: boolean,
    ): Promise<WorkRow | undefined> {
      if (r.healthStatus === undefined && r.identity === undefined && r.properties === undefined)
        return writeOn(db, id, owner, version, r, release);
      // It may change what the API shows (status, identity): the event commits with it (outbox).
      return db.transaction().execute(async (trx) => {
        const before = await trx
          .selectFrom('credentials')
          .selectAll()
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        const after = await writeOn(trx, id, owner, version, r, release);
        if (before && after) await recordCredentialChanges(trx, [{ before, after }], now());
        return after;
      });
    },

    /**
     * Final writes of many checks (lease released), each guarded like `write`: one statement per
     * shape of result. Answers the ids written; a missing one lost its lease or was re-imported.
     * Results that change what the API shows write their events in the same transaction.
     */
    async writeMany(owner: string, items: FinalWrite[]): Promise<Set<string>> {
      const eventful = items.filter(
        (i) => changeTypes({ before: i.row, after: afterFinalWrite(i.row, i.r) }).length > 0,
      );
      if (eventful.length === 0) return writeManyOn(db, owner, items);
      return db.transaction().execute(async (trx) => {
        const written = await writeManyOn(trx, owner, items);
        const changes = eventful
          .filter((i) => written.has(i.row.id))
          .map((i) => ({ before: i.row, after: afterFinalWrite(i.row, i.r) }));
        await recordCredentialChanges(trx, changes, now());
        return written;
      });
    },
    /**
     * An OAuth app's health, as its credentials' provider calls show it: `error` replaces what
     * was there; `ok` is written only when the app was not ok already (one cheap no-op otherwise).
     */
    async setAppHealth(appId: string, health: { status: string } & Record<string, unknown>): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // The status before, under the row lock: a change of status is an event (outbox).
        const before = await trx
          .selectFrom('oauth_apps')
          .select(sql<string | null>`health->>'status'`.as('status'))
          .where('id', '=', appId)
          .forUpdate()
          .executeTakeFirst();
        if (!before || (health.status === 'ok' && before.status === 'ok')) return;
        const app = await trx
          .updateTable('oauth_apps')
          .set({ health: JSON.stringify(health) })
          .where('id', '=', appId)
          .returningAll()
          .executeTakeFirst();
        if (app && before.status !== health.status)
          await recordAppHealthChange(trx, app, before.status ?? 'pending', now());
      });
    },

    async release(id: string, owner: string): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .execute();
    },

    /**
     * A proxied answer succeeded: `health.last_ok_at` only (no version bump, so a refresh or
     * check holding the lease still writes its result).
     */
    async noteLastOk(id: string, at: Date): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ health: sql`jsonb_set(health, '{last_ok_at}', to_jsonb(${isoSeconds(at)}::text))` })
        .where('id', '=', id)
        .execute();
    },

    /** Makes a credential due now (after an import or a caller's health report). */
    async dueNow(id: string): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ next_check_at: sql`clock_timestamp()` })
        .where('id', '=', id)
        .execute();
    },

    /** The credential of the account that already holds an identity, if any. */
    async holderOf(accountId: string, provider: string, identity: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('credentials')
        .select('id')
        .where('account_id', '=', accountId)
        .where('provider', '=', provider)
        .where('identity', '=', identity)
        .executeTakeFirst();
      return row?.id;
    },
  };
}

export type HealthStore = ReturnType<typeof createHealthStore>;

/** Renews a lease this worker holds (a claimed credential that waited in the queue); undefined if lost. */
export async function extendLease(db: Db, id: string, owner: string, leaseMs: number): Promise<WorkRow | undefined> {
  return db
    .updateTable('credentials')
    .set({ lease_expires_at: leaseUntil(leaseMs) })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .returningAll()
    .executeTakeFirst();
}

/**
 * Group commit for the scheduler's final writes (the result of a check, lease released): a write
 * waits up to `gatherMs` for others, and they go in one statement, so a backlog of checks costs
 * a few statements, not one each. One statement is on its way at a time. Answers the row as
 * written, or undefined when the lease was lost or the credential re-imported meanwhile (as
 * `write` does). A failed statement is retried row by row, so one bad row cannot fail the others.
 */
export function batchFinalWrites(store: HealthStore, owner: string, gatherMs: number, maxBatch = 200) {
  type Pending = FinalWrite & { resolve(row: WorkRow | undefined): void; reject(err: unknown): void };
  let queue: Pending[] = [];
  let writing = false;
  let gathering: NodeJS.Timeout | undefined;

  function next(): void {
    if (writing || queue.length === 0) return;
    if (queue.length >= maxBatch) {
      if (gathering) clearTimeout(gathering);
      gathering = undefined;
      void flush();
    } else {
      gathering ??= setTimeout(() => {
        gathering = undefined;
        void flush();
      }, gatherMs);
    }
  }

  async function flush(): Promise<void> {
    writing = true;
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    try {
      const written = await store.writeMany(owner, batch);
      for (const p of batch) p.resolve(written.has(p.row.id) ? afterFinalWrite(p.row, p.r) : undefined);
    } catch {
      await Promise.all(
        batch.map((p) => store.write(p.row.id, owner, p.row.version, p.r, true).then(p.resolve, p.reject)),
      );
    } finally {
      writing = false;
      next();
    }
  }

  return (row: WorkRow, r: WorkResult): Promise<WorkRow | undefined> =>
    new Promise((resolve, reject) => {
      queue.push({ row, r, resolve, reject });
      next();
    });
}
