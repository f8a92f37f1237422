import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import { isoSeconds } from '../lib/clock.js';
import { paginate } from '../lib/page.js';
import { type QueryTemplate, compileTemplate } from '../lib/query-template.js';
import { type Db, runTemplate } from '../store/db.js';

export interface AuditEntry {
  accountId: string;
  actorTokenId: string | null;
  action: string;
  credentialId?: string;
  oauthAppId?: string;
  /** Never a secret value: only ids, counts, reasons. */
  detail?: Record<string, unknown>;
}

/** Proxied calls of one credential through one token within one hour (aggregated, proxy spec). */
export interface UseCounts {
  accountId: string;
  credentialId: string;
  tokenId: string | null;
  hour: Date;
  calls: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
}

/** The id of the one audit event per (credential, token, hour): a UUID-shaped digest. */
function useEventId(c: UseCounts): string {
  const h = createHash('sha256')
    .update(`proxy_used|${c.accountId}|${c.credentialId}|${c.tokenId ?? ''}|${c.hour.toISOString()}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

type AuditRow = ReturnType<typeof toRow>;
type GroupRow = Omit<AuditRow, 'detail'> & { detail: Record<string, unknown> };

function toRow(entry: AuditEntry, now: Date) {
  return {
    id: randomUUID(),
    account_id: entry.accountId,
    actor_token_id: entry.actorTokenId,
    action: entry.action,
    credential_id: entry.credentialId ?? null,
    oauth_app_id: entry.oauthAppId ?? null,
    detail: JSON.stringify(entry.detail ?? {}),
    created_at: now,
  };
}

/** Most rows one group commit writes; the rest wait for the next statement. */
const GROUP_MAX = 500;
/**
 * Group statements in flight at once. With one, a reveal arriving while a group commits waits
 * for that commit and then its own (two commit latencies); with a few, it usually starts at once
 * and PostgreSQL flushes the concurrent commits together (docs/performance.md).
 */
const GROUP_IN_FLIGHT = 4;

/** The columns of a grouped row as jsonb_to_recordset reads them. */
const RECORDSET =
  'id uuid, account_id uuid, actor_token_id uuid, action text, credential_id uuid, oauth_app_id uuid, detail jsonb, created_at timestamptz';

export function createAuditService({ db, clock }: { db: Db; clock: Clock }) {
  const row = toRow;
  // Group commit of audit rows written outside a caller's transaction (access-token reveals):
  // while the INSERTs in flight run, the rows of concurrent callers queue and go in the next
  // one, a single statement. Each caller still waits for its own row to be stored (fail-closed, C9).
  // The statement is compiled once and prepared: the rows travel as one jsonb parameter.
  const groupInsert: QueryTemplate<never> = compileTemplate((param) => {
    const q = sql`insert into audit_events (id, account_id, actor_token_id, action, credential_id, oauth_app_id, detail, created_at)
      select r.id, r.account_id, r.actor_token_id, r.action, r.credential_id, r.oauth_app_id, r.detail, r.created_at
      from jsonb_to_recordset(${param('rows')}::jsonb) as r(${sql.raw(RECORDSET)})`;
    return { compile: () => q.compile(db) };
  });
  // Queued rows keep `detail` as an object: the group sends them all as one JSON text.
  const queue: Array<{ row: GroupRow; done: (err?: unknown) => void }> = [];
  let inFlight = 0;
  async function writeGroup(batch: typeof queue): Promise<void> {
    try {
      await runTemplate(db, groupInsert, { rows: JSON.stringify(batch.map((b) => b.row)) });
      for (const b of batch) b.done();
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.done(err);
        return;
      }
      // One bad row (an account deleted meanwhile) must not fail the others: one by one.
      for (const b of batch) {
        await db
          .insertInto('audit_events')
          .values({ ...b.row, detail: JSON.stringify(b.row.detail) })
          .execute()
          .then(
            () => b.done(),
            (e: unknown) => b.done(e),
          );
      }
    }
  }
  function pump(): void {
    while (queue.length > 0 && inFlight < GROUP_IN_FLIGHT) {
      inFlight++;
      void writeGroup(queue.splice(0, GROUP_MAX)).finally(() => {
        inFlight--;
        pump();
      });
    }
  }
  const grouped = (r: GroupRow): Promise<void> =>
    new Promise((resolve, reject) => {
      queue.push({
        row: r,
        done: (err) =>
          err === undefined ? resolve() : reject(err instanceof Error ? err : new Error('audit write failed')),
      });
      pump();
    });
  return {
    /** Pass a transaction so the audit row commits with the reveal, or both fail (C9). */
    async record(entry: AuditEntry, trx?: Db): Promise<void> {
      if (trx === undefined) return grouped({ ...row(entry, clock.now()), detail: entry.detail ?? {} });
      await trx.insertInto('audit_events').values(row(entry, clock.now())).execute();
    },

    /** Adds proxy use counts to their hourly event (one upsert statement for all of them). */
    async addUseCounts(counts: UseCounts[]): Promise<void> {
      if (counts.length === 0) return;
      const rows = counts.map((c) => ({
        id: useEventId(c),
        account_id: c.accountId,
        actor_token_id: c.tokenId,
        action: 'credential.proxy_used',
        credential_id: c.credentialId,
        oauth_app_id: null,
        detail: JSON.stringify({
          hour: c.hour.toISOString(),
          calls: c.calls,
          errors: c.errors,
          bytes_in: c.bytesIn,
          bytes_out: c.bytesOut,
        }),
        created_at: c.hour,
      }));
      const add = (f: string) =>
        sql`coalesce((audit_events.detail->>${f})::bigint, 0) + (excluded.detail->>${f})::bigint`;
      await db
        .insertInto('audit_events')
        .values(rows)
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            detail: sql`jsonb_build_object('hour', excluded.detail->>'hour', 'calls', ${add('calls')}, 'errors', ${add('errors')}, 'bytes_in', ${add('bytes_in')}, 'bytes_out', ${add('bytes_out')})`,
          }),
        )
        .execute();
    },

    /** Many events in one statement (a page of revealed secrets): all written, or none. */
    async recordMany(entries: AuditEntry[], trx: Db = db): Promise<void> {
      if (entries.length === 0) return;
      const now = clock.now();
      await trx
        .insertInto('audit_events')
        .values(entries.map((e) => row(e, now)))
        .execute();
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
