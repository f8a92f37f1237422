/** The connect_sessions table (migration 010); every state change is one conditional statement. */
import type { Selectable } from 'kysely';
import { paginate } from '../lib/page.js';
import type { Db } from '../store/db.js';
import type { ConnectSessionsTable } from '../store/schema.js';

export type SessionRow = Selectable<ConnectSessionsTable>;
export type NewSession = Omit<SessionRow, 'request' | 'error'> & { request: Record<string, unknown>; error: null };

export interface Opened {
  stateDigest: Buffer | null;
  cookieDigest: Buffer;
  csrfDigest: Buffer | null;
  verifier: string | null;
  flowExpiresAt: Date;
}

export function createConnectRepository(db: Db) {
  const T = 'connect_sessions';
  return {
    async insert(row: NewSession): Promise<void> {
      await db
        .insertInto(T)
        .values({ ...row, request: JSON.stringify(row.request) })
        .execute();
    },

    /** Marks the link used, atomically: of two tabs opening it, one gets the row. */
    async openLink(
      linkDigest: Buffer,
      now: Date,
      o: Opened,
    ): Promise<{ row: SessionRow } | { why: 'unknown' | 'gone' }> {
      const row = await db
        .updateTable(T)
        .set({
          link_used_at: now,
          status: 'authorizing',
          state_digest: o.stateDigest,
          cookie_digest: o.cookieDigest,
          csrf_digest: o.csrfDigest,
          verifier: o.verifier,
          expires_at: o.flowExpiresAt,
          updated_at: now,
        })
        .where('link_digest', '=', linkDigest)
        .where('link_used_at', 'is', null)
        .where('status', '=', 'pending')
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (row) return { row };
      const known = await db
        .selectFrom(T)
        .select(['id', 'status', 'expires_at'])
        .where('link_digest', '=', linkDigest)
        .executeTakeFirst();
      if (!known) return { why: 'unknown' };
      if (known.status === 'pending')
        await db
          .updateTable(T)
          .set({ status: 'expired', updated_at: now })
          .where('id', '=', known.id)
          .where('status', '=', 'pending')
          .execute();
      return { why: 'gone' };
    },

    /** The sealed PKCE verifier and the flow's deadline, set right after the link is opened. */
    async setFlow(id: string, verifier: string | null, expiresAt: Date): Promise<void> {
      await db.updateTable(T).set({ verifier, expires_at: expiresAt }).where('id', '=', id).execute();
    },

    async byState(stateDigest: Buffer): Promise<SessionRow | undefined> {
      return db.selectFrom(T).selectAll().where('state_digest', '=', stateDigest).executeTakeFirst();
    },

    async byId(id: string): Promise<SessionRow | undefined> {
      return db.selectFrom(T).selectAll().where('id', '=', id).executeTakeFirst();
    },

    async byCode(codeDigest: Buffer): Promise<SessionRow | undefined> {
      return db.selectFrom(T).selectAll().where('code_digest', '=', codeDigest).executeTakeFirst();
    },

    /** authorizing → exchanging, once: a replayed callback finds nothing to claim. */
    async claim(id: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable(T)
        .set({ status: 'exchanging', updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'authorizing')
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** A form re-shown after a refused key goes back to authorizing with a new CSRF token. */
    async reopen(id: string, csrfDigest: Buffer, now: Date): Promise<void> {
      await db
        .updateTable(T)
        .set({ status: 'authorizing', csrf_digest: csrfDigest, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'exchanging')
        .execute();
    },

    async complete(
      id: string,
      credentialId: string,
      codeDigest: Buffer,
      codeExpiresAt: Date,
      now: Date,
    ): Promise<void> {
      await db
        .updateTable(T)
        .set({
          status: 'completed',
          credential_id: credentialId,
          code_digest: codeDigest,
          code_expires_at: codeExpiresAt,
          verifier: null,
          state_digest: null,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
    },

    async fail(id: string, error: { reason: string; message: string }, now: Date): Promise<void> {
      await db
        .updateTable(T)
        .set({ status: 'failed', error: JSON.stringify(error), verifier: null, updated_at: now })
        .where('id', '=', id)
        .execute();
    },

    /** Uses the exchange code, once. */
    async useCode(id: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable(T)
        .set({ code_used_at: now, updated_at: now })
        .where('id', '=', id)
        .where('code_used_at', 'is', null)
        .where('code_expires_at', '>', now)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async get(accountId: string, id: string): Promise<SessionRow | undefined> {
      return db.selectFrom(T).selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    },

    async list(accountId: string, status: string | undefined, limit: number, cursor: string | undefined, now: Date) {
      let q = db.selectFrom(T).selectAll().where('account_id', '=', accountId);
      // `expired` is also what a pending or authorizing flow past its deadline shows.
      if (status === 'expired')
        q = q.where((eb) =>
          eb.or([
            eb('status', '=', 'expired'),
            eb.and([eb('status', 'in', ['pending', 'authorizing']), eb('expires_at', '<=', now)]),
          ]),
        );
      else if (status === 'pending' || status === 'authorizing')
        q = q.where('status', '=', status).where('expires_at', '>', now);
      else if (status !== undefined) q = q.where('status', '=', status);
      return paginate(q, T, limit, cursor);
    },
  };
}

export type ConnectRepository = ReturnType<typeof createConnectRepository>;
