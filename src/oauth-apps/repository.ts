import { type Insertable, type Selectable, type Updateable, sql } from 'kysely';
import { paginate } from '../lib/page.js';
import type { Db } from '../store/db.js';
import type { OAuthAppsTable } from '../store/schema.js';

export type OAuthAppRow = Selectable<OAuthAppsTable>;

/**
 * The one owner of the oauth_apps table (docs/architecture.md "Storage"): the service's reads and
 * writes, the bulk import's lookup and the health an app's credentials' provider calls show.
 * Every API statement is filtered by the caller's account. `db` is the pool or a transaction.
 */
export function createOAuthAppRepository(db: Db) {
  return {
    /** One app of the account; `lock` takes its row lock (read-modify-write in a transaction). */
    async get(accountId: string, id: string, lock = false): Promise<OAuthAppRow | undefined> {
      const q = db.selectFrom('oauth_apps').selectAll().where('account_id', '=', accountId).where('id', '=', id);
      return (lock ? q.forUpdate() : q).executeTakeFirst();
    },

    /** The apps of the account among `ids`, in one query (bulk import). */
    async findMany(accountId: string, ids: string[]): Promise<OAuthAppRow[]> {
      if (ids.length === 0) return [];
      return db
        .selectFrom('oauth_apps')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', 'in', ids)
        .execute();
    },

    /** Apps by id in any account: for the events of background writes, which present a credential with its app. */
    async byIds(ids: string[]): Promise<OAuthAppRow[]> {
      if (ids.length === 0) return [];
      return db.selectFrom('oauth_apps').selectAll().where('id', 'in', ids).execute();
    },

    async list(
      accountId: string,
      f: { provider?: string; metadata?: Record<string, unknown> },
      limit: number,
      cursor: string | undefined,
    ) {
      let q = db.selectFrom('oauth_apps').selectAll().where('account_id', '=', accountId);
      if (f.provider) q = q.where('provider', '=', f.provider);
      if (f.metadata) q = q.where(sql<boolean>`metadata @> ${JSON.stringify(f.metadata)}::jsonb`);
      return paginate(q, 'oauth_apps', limit, cursor);
    },

    async insert(row: Insertable<OAuthAppsTable>): Promise<OAuthAppRow> {
      return db.insertInto('oauth_apps').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /** Sets columns of one app and bumps its version. */
    async update(id: string, set: Updateable<OAuthAppsTable>): Promise<OAuthAppRow> {
      return db
        .updateTable('oauth_apps')
        .set({ ...set, version: sql<number>`version + 1` })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Deletes the app; answers what it was, or undefined. A credential still using it fails the delete (foreign key). */
    async remove(accountId: string, id: string): Promise<OAuthAppRow | undefined> {
      return db
        .deleteFrom('oauth_apps')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * An OAuth app's health, as its credentials' provider calls show it: `error` replaces what
     * was there; `ok` is written only when the app was not ok already (one cheap no-op otherwise).
     * A change of status calls `changed` on the transaction, for its event (the outbox).
     */
    async setHealth(
      appId: string,
      health: { status: string } & Record<string, unknown>,
      changed: (trx: Db, app: OAuthAppRow, previousStatus: string) => Promise<void>,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // The status before, under the row lock.
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
        if (app && before.status !== health.status) await changed(trx, app, before.status ?? 'pending');
      });
    },
  };
}

export type OAuthAppRepository = ReturnType<typeof createOAuthAppRepository>;
