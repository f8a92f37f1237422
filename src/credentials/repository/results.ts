import { sql } from 'kysely';
import { type QueryTemplate, compileTemplate } from '../../lib/query-template.js';
import { type Db, runTemplate } from '../../store/db.js';
import { changeTypes, recordCredentialChanges } from '../../events/changes.js';
import {
  type CredentialRow,
  RESULT_COLUMNS,
  type ResultColumn,
  type WorkResult,
  afterFinalWrite,
  recordsetTypes,
  resultColumns,
  resultValues,
} from './columns.js';

/** A check's final write: the row it worked (its version guards the write) and its result. */
export interface FinalWrite {
  row: CredentialRow;
  r: WorkResult;
}

/**
 * The writes that end health work on a leased credential (a check, a refresh): guarded by the
 * lease and the row version, so a lost lease or a re-import meanwhile wins. Results that change
 * what the API shows (status, identity, properties) write their events in the same transaction
 * (the outbox), stamped `now`.
 */
export function createCredentialResults(db: Db) {
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
    const types = sql.raw(recordsetTypes(['id', 'version', ...columns]));
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

  /** The guarded single write (see `write`) on `q`, the repository's db or a transaction. */
  function writeOn(
    q: Db,
    id: string,
    owner: string,
    version: number,
    r: WorkResult,
    release: boolean,
  ): Promise<CredentialRow | undefined> {
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

  /** The grouped final writes (see `writeMany`) on `q`, the repository's db or a transaction. */
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

  return {
    /** Writes results if we still hold the lease and nobody re-imported meanwhile. */
    async write(
      id: string,
      owner: string,
      version: number,
      r: WorkResult,
      release: boolean,
      now: Date,
    ): Promise<CredentialRow | undefined> {
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
        if (before && after) await recordCredentialChanges(trx, [{ before, after }], now);
        return after;
      });
    },

    /**
     * Final writes of many checks (lease released), each guarded like `write`: one statement per
     * shape of result. Answers the ids written; a missing one lost its lease or was re-imported.
     */
    async writeMany(owner: string, items: FinalWrite[], now: Date): Promise<Set<string>> {
      const eventful = items.filter(
        (i) => changeTypes({ before: i.row, after: afterFinalWrite(i.row, i.r) }).length > 0,
      );
      if (eventful.length === 0) return writeManyOn(db, owner, items);
      return db.transaction().execute(async (trx) => {
        const written = await writeManyOn(trx, owner, items);
        const changes = eventful
          .filter((i) => written.has(i.row.id))
          .map((i) => ({ before: i.row, after: afterFinalWrite(i.row, i.r) }));
        await recordCredentialChanges(trx, changes, now);
        return written;
      });
    },
  };
}

type Results = Pick<ReturnType<typeof createCredentialResults>, 'write' | 'writeMany'>;

/**
 * Group commit for the scheduler's final writes (the result of a check, lease released): a write
 * waits up to `gatherMs` for others, and they go in one statement, so a backlog of checks costs
 * a few statements, not one each. One statement is on its way at a time. Answers the row as
 * written, or undefined when the lease was lost or the credential re-imported meanwhile (as
 * `write` does). A failed statement is retried row by row, so one bad row cannot fail the others.
 */
export function batchFinalWrites(results: Results, owner: string, now: () => Date, gatherMs: number, maxBatch = 200) {
  type Pending = FinalWrite & { resolve(row: CredentialRow | undefined): void; reject(err: unknown): void };
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
      const written = await results.writeMany(owner, batch, now());
      for (const p of batch) p.resolve(written.has(p.row.id) ? afterFinalWrite(p.row, p.r) : undefined);
    } catch {
      await Promise.all(
        batch.map((p) => results.write(p.row.id, owner, p.row.version, p.r, true, now()).then(p.resolve, p.reject)),
      );
    } finally {
      writing = false;
      next();
    }
  }

  return (row: CredentialRow, r: WorkResult): Promise<CredentialRow | undefined> =>
    new Promise((resolve, reject) => {
      queue.push({ row, r, resolve, reject });
      next();
    });
}
