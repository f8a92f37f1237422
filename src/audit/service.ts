import { randomUUID } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { isoSeconds } from '../lib/clock.js';
import { paginate } from '../lib/page.js';
import type { Db } from '../store/db.js';

export interface AuditEntry {
  accountId: string;
  actorTokenId: string | null;
  action: string;
  credentialId?: string;
  oauthAppId?: string;
  /** Never a secret value: only ids, counts, reasons. */
  detail?: Record<string, unknown>;
}

export function createAuditService({ db, clock }: { db: Db; clock: Clock }) {
  const row = (entry: AuditEntry, now: Date) => ({
    id: randomUUID(),
    account_id: entry.accountId,
    actor_token_id: entry.actorTokenId,
    action: entry.action,
    credential_id: entry.credentialId ?? null,
    oauth_app_id: entry.oauthAppId ?? null,
    detail: JSON.stringify(entry.detail ?? {}),
    created_at: now,
  });
  return {
    /** Pass a transaction so the audit row commits with the reveal, or both fail (C9). */
    async record(entry: AuditEntry, trx: Db = db): Promise<void> {
      await trx.insertInto('audit_events').values(row(entry, clock.now())).execute();
    },

    /** Many events in one statement (a page of revealed secrets): all written, or none. */
    async recordMany(entries: AuditEntry[], trx: Db = db): Promise<void> {
      if (entries.length === 0) return;
      const now = clock.now();
      await trx.insertInto('audit_events').values(entries.map((e) => row(e, now))).execute();
    },

    async list(accountId: string, limit: number, cursor?: string) {
      const q = db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId);
      const page = await paginate(q, 'audit_events', limit, cursor);
      return {
        data: page.rows.map((r) => ({
          id: r.id,
          action: r.action,
          actor_token_id: r.actor_token_id,
          credential_id: r.credential_id,
          oauth_app_id: r.oauth_app_id,
          detail: r.detail,
          created_at: isoSeconds(new Date(r.created_at)),
        })),
        next_cursor: page.next_cursor,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
