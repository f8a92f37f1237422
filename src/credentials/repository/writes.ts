import { type InsertQueryBuilder, type InsertResult, sql } from 'kysely';
import { isoSeconds } from '../../lib/clock.js';
import { type QueryTemplate, compileTemplate, isPlainParameter } from '../../lib/query-template.js';
import { eventCtes } from '../../events/outbox.js';
import { type Db, runTemplate } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import { ALL_COLUMNS, type CredentialRow, recordsetTypes } from './columns.js';

export interface NewCredential {
  id: string;
  account_id: string;
  provider: string;
  kind: string;
  identity: string;
  name: string | null;
  oauth_app_id: string | null;
  properties: Record<string, unknown>;
  secrets: Record<string, string>;
  metadata: Record<string, unknown>;
  health: Record<string, unknown>;
  now: Date;
}

/**
 * What the one-statement import answers of the row it wrote: what the values sent cannot say.
 * `created_at` is formatted by the statement as the API presents it (isoSeconds).
 */
export interface RecordedImport {
  id: string;
  name: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
}

/** The column values of one credential row, jsonb columns as objects (the bulk upsert's JSON row). */
function columnValues(c: NewCredential) {
  // One ISO string for both timestamps: the same instant as the Date, without pg formatting it twice.
  const at = c.now.toISOString();
  return {
    id: c.id,
    account_id: c.account_id,
    provider: c.provider,
    kind: c.kind,
    identity: c.identity,
    name: c.name,
    oauth_app_id: c.oauth_app_id,
    properties: c.properties,
    secrets: c.secrets,
    metadata: c.metadata,
    health_status: String(c.health.status),
    health: c.health,
    created_at: at,
    updated_at: at,
  };
}

/** The same values as the single upsert binds them: jsonb columns as JSON text. */
function insertValues(c: NewCredential) {
  const v = columnValues(c);
  return {
    ...v,
    properties: JSON.stringify(v.properties),
    secrets: JSON.stringify(v.secrets),
    metadata: JSON.stringify(v.metadata),
    health: JSON.stringify(v.health),
  };
}

type InsertValues = ReturnType<typeof insertValues>;

/** The same row with a template marker in place of each value (see lib/query-template). */
function markerRow(row: InsertValues, param: (name: string) => string): InsertValues {
  const out: Record<string, string> = {};
  for (const k of Object.keys(row)) out[k] = param(k);
  return out as unknown as InsertValues;
}

/** Writes of credentials: imports (upserts), edits, deletes, and the small marks health work leaves. */
export function createCredentialWrites(db: Db) {
  /** The statement upsertMany sends (see there). */
  function upsertQuery(values: InsertValues[], given: { name: boolean; metadata: boolean }) {
    return withUpsertConflict(db.insertInto('credentials').values(values), given);
  }

  /** Re-import semantics (docs/api.md §3.4): the conflict clause both upserts share. */
  function withUpsertConflict(
    insert: InsertQueryBuilder<Database, 'credentials', InsertResult>,
    given: { name: boolean; metadata: boolean },
  ) {
    return insert
      .onConflict((oc) =>
        oc.constraint('credentials_identity').doUpdateSet((eb) => ({
          kind: eb.ref('excluded.kind'),
          oauth_app_id: eb.ref('excluded.oauth_app_id'),
          properties: eb.ref('excluded.properties'),
          secrets: eb.ref('excluded.secrets'),
          name: given.name ? eb.ref('excluded.name') : eb.ref('credentials.name'),
          metadata: given.metadata ? eb.ref('excluded.metadata') : eb.ref('credentials.metadata'),
          health_status: eb.ref('excluded.health_status'),
          health: eb.ref('excluded.health'),
          updated_at: eb.ref('excluded.updated_at'),
          version: sql<number>`credentials.version + 1`,
          // New secrets: check soon, forget the old grant's schedule and cached token.
          next_check_at: sql<Date>`clock_timestamp()`,
          consecutive_failures: 0,
          token_expires_at: null,
          cached_token: null,
        })),
      )
      .returning(ALL_COLUMNS);
  }
  // By `given` (insertValues always yields the same columns).
  const upsertTemplates = new Map<number, QueryTemplate<CredentialRow>>();
  const bulkTemplates = new Map<number, QueryTemplate<CredentialRow>>();

  /**
   * The multi-row upsert: the rows arrive as one JSON array parameter that
   * jsonb_to_recordset turns into rows, instead of 14 parameters per row (json_to_recordset
   * is 25× slower here: it re-parses each nested object to make the jsonb columns). The SQL text is
   * then the same for every batch size, so it is prepared once, and neither Kysely nor the
   * driver does per-row work (for 1,000 rows that work cost more than the statement).
   */
  function bulkUpsertTemplate(
    given: { name: boolean; metadata: boolean },
    columns: Array<keyof InsertValues>,
  ): QueryTemplate<CredentialRow> {
    return compileTemplate((param) => {
      const types = sql.raw(recordsetTypes(columns));
      const source = sql`SELECT ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))} FROM jsonb_to_recordset(${param('rows')}::jsonb) AS r(${types})`;
      return withUpsertConflict(db.insertInto('credentials').columns(columns).expression(source), given);
    });
  }
  const recordedTemplates = new Map<number, QueryTemplate<RecordedImport>>();

  /**
   * The single import and its event in one statement (see upsertRecorded): the upsert as CTE
   * `u`, then the outbox CTEs (events/outbox.ts) with the event made from `u`.
   */
  function recordedUpsertTemplate(sample: InsertValues, given: { name: boolean; metadata: boolean }) {
    return compileTemplate((param) => {
      const upsert = upsertQuery([markerRow(sample, param)], given);
      const event = sql`select ${param('eventId')}::uuid, u.account_id,
          case when u.version = 1 then 'credential.created' else 'credential.updated' end,
          ${param('eventData')}::jsonb || jsonb_build_object('id', u.id, 'name', u.name, 'metadata', u.metadata,
            'created_at', to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
          ${param('eventAt')}::timestamptz
        from u`;
      // Only what the values sent do not say (a re-import keeps id, created_at, and a name or
      // metadata it leaves out): each column returned costs the driver a parser per answer.
      const q = sql<RecordedImport>`with u as (${upsert}), ${eventCtes(event)} select u.id, u.name, u.metadata,
          to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as created_at
        from u`;
      return { compile: () => q.compile(db) };
    });
  }

  const repo = {
    /**
     * The import: one atomic INSERT ... ON CONFLICT DO UPDATE (docs/api.md §3.4). `id` and
     * `created_at` survive a re-import; `name` and `metadata` only change when given.
     * Bulk import sends many rows in one statement: their (provider, identity) must be
     * distinct (PostgreSQL refuses to update one row twice) and share `given`.
     */
    async upsertMany(rows: NewCredential[], given: { name: boolean; metadata: boolean }): Promise<CredentialRow[]> {
      if (rows.length === 0) return [];
      const only = rows.length === 1 && rows[0] ? insertValues(rows[0]) : undefined;
      if (only && Object.values(only).every(isPlainParameter)) {
        // The single import (the hot path): SQL compiled once per shape, values bound per call.
        const key = (given.name ? 1 : 0) + (given.metadata ? 2 : 0);
        let template = upsertTemplates.get(key);
        if (!template) {
          template = compileTemplate((param) => upsertQuery([markerRow(only, param)], given));
          upsertTemplates.set(key, template);
        }
        return runTemplate(db, template, only);
      }
      // Many rows: one parameter holding them all as JSON (see bulkUpsertTemplate).
      const values = rows.map(columnValues);
      const key = (given.name ? 1 : 0) + (given.metadata ? 2 : 0);
      let template = bulkTemplates.get(key);
      if (!template) {
        // The columns columnValues yields (the same for every row), typed by the table's description.
        template = bulkUpsertTemplate(given, Object.keys(values[0] ?? {}) as Array<keyof InsertValues>);
        bulkTemplates.set(key, template);
      }
      return runTemplate(db, template, { rows: JSON.stringify(values) });
    },

    /**
     * The single import (the hot path) with its `credential.created`/`updated` event and the
     * event's webhook deliveries, in ONE statement: one round trip and its own transaction
     * instead of BEGIN, upsert, events, COMMIT (issue 13 item 11, docs/performance.md). The
     * event is `draft` (the credential presented from the values sent) with what only the
     * upsert knows patched in: the kept id, name, metadata and created_at; its type by version.
     */
    async upsertRecorded(
      c: NewCredential,
      given: { name: boolean; metadata: boolean },
      draft: Record<string, unknown>,
      eventId: string,
    ): Promise<RecordedImport> {
      const values = insertValues(c);
      const key = (given.name ? 1 : 0) + (given.metadata ? 2 : 0);
      let template = recordedTemplates.get(key);
      if (!template) {
        template = recordedUpsertTemplate(values, given);
        recordedTemplates.set(key, template);
      }
      const [row] = await runTemplate(db, template, {
        ...values,
        eventId,
        eventData: JSON.stringify(draft),
        eventAt: values.created_at,
      });
      if (!row) throw new Error('The credential upsert returned no row.');
      return row;
    },

    async upsert(c: NewCredential, given: { name: boolean; metadata: boolean }): Promise<CredentialRow> {
      const [row] = await repo.upsertMany([c], given);
      if (!row) throw new Error('The credential upsert returned no row.');
      return row;
    },

    /** One atomic UPDATE; with `ifVersion` it only applies to that row version (If-Match). */
    async patch(
      accountId: string,
      id: string,
      set: { name?: string | null; metadata?: Record<string, unknown> },
      now: Date,
      ifVersion?: number,
    ): Promise<CredentialRow | undefined> {
      let q = db
        .updateTable('credentials')
        .set({
          ...(set.name !== undefined ? { name: set.name } : {}),
          ...(set.metadata !== undefined ? { metadata: JSON.stringify(set.metadata) } : {}),
          updated_at: now,
          version: sql<number>`version + 1`,
        })
        .where('account_id', '=', accountId)
        .where('id', '=', id);
      if (ifVersion !== undefined) q = q.where('version', '=', ifVersion);
      return q.returningAll().executeTakeFirst();
    },

    /** Deletes the credential; answers what it was (for the audit event), or undefined if there was none. */
    async remove(accountId: string, id: string): Promise<{ provider: string; kind: string } | undefined> {
      return db
        .deleteFrom('credentials')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returning(['provider', 'kind'])
        .executeTakeFirst();
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
  };
  return repo;
}
