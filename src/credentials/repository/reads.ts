import { sql } from 'kysely';
import { paginate } from '../../lib/page.js';
import { type QueryTemplate, compileTemplate } from '../../lib/query-template.js';
import type { OAuthAppRow } from '../../oauth-apps/service.js';
import { type Db, runTemplate } from '../../store/db.js';
import { PRESENTED_COLUMNS } from '../present.js';
import { ALL_COLUMNS, type CredentialRow, type PresentableCredentialWithApp } from './columns.js';

export interface CredentialFilters {
  provider?: string;
  kind?: string;
  oauthAppId?: string;
  healthStatus?: string;
  metadata?: Record<string, unknown>;
  /** Case-insensitive substring of the top-level name. */
  name?: string;
}

function withApp(db: Db) {
  return db
    .selectFrom('credentials')
    .leftJoin('oauth_apps', 'oauth_apps.id', 'credentials.oauth_app_id')
    .selectAll('credentials')
    .select(sql<OAuthAppRow | null>`to_jsonb(oauth_apps.*)`.as('app'));
}

/** Reads of credentials: the API's are filtered by the caller's account; `row` is health work's (by id). */
export function createCredentialReads(db: Db) {
  let getTemplate: QueryTemplate<PresentableCredentialWithApp> | undefined;
  let rowTemplate: QueryTemplate<CredentialRow> | undefined;
  return {
    /** The whole row by id, any account: for health work, which holds only ids. */
    async row(id: string): Promise<CredentialRow | undefined> {
      // The read of every access-token and proxied call: compiled once and prepared (columns
      // named, not `*`, see ALL_COLUMNS), instead of built by Kysely on each request.
      rowTemplate ??= compileTemplate((param) =>
        db.selectFrom('credentials').select(ALL_COLUMNS).where('id', '=', param('id')),
      );
      const [found] = await runTemplate(db, rowTemplate, { id });
      return found;
    },

    async findSecretsByIdentity(accountId: string, provider: string, identity: string) {
      return db
        .selectFrom('credentials')
        .select(['id', 'secrets', 'health'])
        .where('account_id', '=', accountId)
        .where('provider', '=', provider)
        .where('identity', '=', identity)
        .executeTakeFirst();
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

    async get(accountId: string, id: string): Promise<PresentableCredentialWithApp | undefined> {
      // Compiled once: building the join with Kysely on every read costs more than the read.
      // Only the columns the answer needs: each column costs the driver on every row.
      getTemplate ??= compileTemplate((param) =>
        db
          .selectFrom('credentials')
          .leftJoin('oauth_apps', 'oauth_apps.id', 'credentials.oauth_app_id')
          .select([...PRESENTED_COLUMNS.map((c) => `credentials.${c}` as const), 'credentials.version'])
          .select(sql<OAuthAppRow | null>`to_jsonb(oauth_apps.*)`.as('app'))
          .where('credentials.account_id', '=', param('accountId'))
          .where('credentials.id', '=', param('id')),
      );
      const [row] = await runTemplate(db, getTemplate, { accountId, id });
      return row;
    },

    async list(accountId: string, f: CredentialFilters, limit: number, cursor: string | undefined) {
      let q = withApp(db).where('credentials.account_id', '=', accountId);
      if (f.provider) q = q.where('credentials.provider', '=', f.provider);
      if (f.kind) q = q.where('credentials.kind', '=', f.kind);
      if (f.oauthAppId) q = q.where('credentials.oauth_app_id', '=', f.oauthAppId);
      if (f.healthStatus) q = q.where('credentials.health_status', '=', f.healthStatus);
      if (f.metadata) q = q.where(sql<boolean>`credentials.metadata @> ${JSON.stringify(f.metadata)}::jsonb`);
      // strpos rather than LIKE: no wildcard in the search string to escape.
      if (f.name) q = q.where(sql<boolean>`strpos(lower(credentials.name), lower(${f.name})) > 0`);
      return paginate(q, 'credentials', limit, cursor);
    },

    /**
     * Counts by provider and health status, and the credentials that most recently turned
     * `error` or `warn` (by the time their health last changed), for the console's overview.
     * Reads only non-secret columns.
     */
    async summarize(accountId: string, recentLimit: number) {
      const counts = await db
        .selectFrom('credentials')
        .select(['provider', 'health_status', sql<number>`count(*)::int`.as('count')])
        .where('account_id', '=', accountId)
        .groupBy(['provider', 'health_status'])
        .orderBy('provider')
        .execute();
      const recent = await db
        .selectFrom('credentials')
        .select(['id', 'name', 'provider', 'kind', 'health', 'created_at'])
        .where('account_id', '=', accountId)
        .where('health_status', 'in', ['error', 'warn'])
        .orderBy(sql`health->>'time'`, 'desc')
        .orderBy('id')
        .limit(recentLimit)
        .execute();
      return { counts, recent };
    },

    async exists(accountId: string, id: string): Promise<boolean> {
      const row = await db
        .selectFrom('credentials')
        .select('id')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
