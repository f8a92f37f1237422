import { type Selectable, sql } from 'kysely';
import { paginate } from '../lib/page.js';
import { type QueryTemplate, bindTemplate, compileTemplate, isPlainParameter } from '../lib/query-template.js';
import type { OAuthAppRow } from '../oauth-apps/service.js';
import type { Db } from '../store/db.js';
import type { CredentialsTable } from '../store/schema.js';

export type CredentialRow = Selectable<CredentialsTable>;
export type CredentialWithApp = CredentialRow & { app: OAuthAppRow | null };

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

export interface CredentialFilters {
  provider?: string;
  kind?: string;
  oauthAppId?: string;
  healthStatus?: string;
  metadata?: Record<string, unknown>;
}

function withApp(db: Db) {
  return db
    .selectFrom('credentials')
    .leftJoin('oauth_apps', 'oauth_apps.id', 'credentials.oauth_app_id')
    .selectAll('credentials')
    .select(sql<OAuthAppRow | null>`to_jsonb(oauth_apps.*)`.as('app'));
}

/** The column values of one credential row, as the upsert sends them. */
function insertValues(c: NewCredential) {
  return {
    id: c.id,
    account_id: c.account_id,
    provider: c.provider,
    kind: c.kind,
    identity: c.identity,
    name: c.name,
    oauth_app_id: c.oauth_app_id,
    properties: JSON.stringify(c.properties),
    secrets: JSON.stringify(c.secrets),
    metadata: JSON.stringify(c.metadata),
    health_status: String(c.health.status),
    health: JSON.stringify(c.health),
    created_at: c.now,
    updated_at: c.now,
  };
}

type InsertValues = ReturnType<typeof insertValues>;

/** The same row with a template marker in place of each value (see lib/query-template). */
function markerRow(row: InsertValues, param: (name: string) => string): InsertValues {
  const out: Record<string, string> = {};
  for (const k of Object.keys(row)) out[k] = param(k);
  return out as unknown as InsertValues;
}

/** SQL for credentials; every statement is filtered by the caller's account. */
export function createCredentialRepository(db: Db) {
  /** The statement upsertMany sends (see there). */
  function upsertQuery(values: InsertValues[], given: { name: boolean; metadata: boolean }) {
    return db
      .insertInto('credentials')
      .values(values)
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
      .returningAll();
  }
  const upsertTemplates = new Map<string, QueryTemplate<CredentialRow>>();
  let getTemplate: QueryTemplate<CredentialWithApp> | undefined;

  const repo = {
    /**
     * The import: one atomic INSERT ... ON CONFLICT DO UPDATE (api.md §3.4). `id` and
     * `created_at` survive a re-import; `name` and `metadata` only change when given.
     * Bulk import sends many rows in one statement: their (provider, identity) must be
     * distinct (PostgreSQL refuses to update one row twice) and share `given`.
     */
    async upsertMany(rows: NewCredential[], given: { name: boolean; metadata: boolean }): Promise<CredentialRow[]> {
      if (rows.length === 0) return [];
      const values = rows.map(insertValues);
      const [only] = values;
      if (values.length === 1 && only && Object.values(only).every(isPlainParameter)) {
        // The single import (the hot path): SQL compiled once per shape, values bound per call.
        const key = `${given.name}:${given.metadata}:${Object.keys(only).join(',')}`;
        let template = upsertTemplates.get(key);
        if (!template) {
          template = compileTemplate((param) => upsertQuery([markerRow(only, param)], given));
          upsertTemplates.set(key, template);
        }
        return (await db.executeQuery(bindTemplate(template, only))).rows;
      }
      return upsertQuery(values, given).execute();
    },

    async upsert(c: NewCredential, given: { name: boolean; metadata: boolean }): Promise<CredentialRow> {
      const [row] = await repo.upsertMany([c], given);
      if (!row) throw new Error('The credential upsert returned no row.');
      return row;
    },

    /** The OAuth apps of the account among `ids`, in one query (bulk import). */
    async findOAuthApps(accountId: string, ids: string[]): Promise<OAuthAppRow[]> {
      if (ids.length === 0) return [];
      return db.selectFrom('oauth_apps').selectAll().where('account_id', '=', accountId).where('id', 'in', ids).execute();
    },

    async findSecretsByIdentity(accountId: string, provider: string, identity: string) {
      return db
        .selectFrom('credentials')
        .select(['id', 'secrets'])
        .where('account_id', '=', accountId)
        .where('provider', '=', provider)
        .where('identity', '=', identity)
        .executeTakeFirst();
    },

    async get(accountId: string, id: string): Promise<CredentialWithApp | undefined> {
      // Compiled once: building the join with Kysely on every read costs more than the read.
      getTemplate ??= compileTemplate((param) =>
        withApp(db).where('credentials.account_id', '=', param('accountId')).where('credentials.id', '=', param('id')),
      );
      const { rows } = await db.executeQuery(bindTemplate(getTemplate, { accountId, id }));
      return rows[0];
    },

    async list(accountId: string, f: CredentialFilters, limit: number, cursor: string | undefined) {
      let q = withApp(db).where('credentials.account_id', '=', accountId);
      if (f.provider) q = q.where('credentials.provider', '=', f.provider);
      if (f.kind) q = q.where('credentials.kind', '=', f.kind);
      if (f.oauthAppId) q = q.where('credentials.oauth_app_id', '=', f.oauthAppId);
      if (f.healthStatus) q = q.where('credentials.health_status', '=', f.healthStatus);
      if (f.metadata) q = q.where(sql<boolean>`credentials.metadata @> ${JSON.stringify(f.metadata)}::jsonb`);
      return paginate(q, 'credentials', limit, cursor);
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

    async exists(accountId: string, id: string): Promise<boolean> {
      const row = await db.selectFrom('credentials').select('id').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return row !== undefined;
    },

    async remove(accountId: string, id: string): Promise<boolean> {
      const res = await db.deleteFrom('credentials').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },
  };
  return repo;
}

export type CredentialRepository = ReturnType<typeof createCredentialRepository>;
