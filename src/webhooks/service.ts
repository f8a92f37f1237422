import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import { subscribes } from '../events/outbox.js';
import { type Clock, iso } from '../lib/clock.js';
import { NotFoundError, ValidationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { paginate } from '../lib/page.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { Db } from '../store/db.js';
import { type EndpointRow, endpointSecretPlace, presentEndpoint } from './endpoints.js';
import type {
  AttemptView,
  CreateEndpointInput,
  EndpointView,
  ListDeliveriesInput,
  PatchEndpointInput,
} from './schemas.js';
import { newSigningSecret } from './sign.js';

export interface WebhookServiceDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  /** The outbound guard's verdict on a URL (see net/outbound vetOutboundUrl): why it is refused, or undefined. */
  vetUrl(url: string): Promise<string | undefined>;
  /** Nudges the delivery worker (new deliveries are due now). */
  wake?: () => void;
}

/** How long the previous secret keeps signing after a rotation (docs/events.md, rotate-secret). */
const PREVIOUS_SECRET_MS = 24 * 3600_000;

function cursorOf(id: string): string {
  return Buffer.from(id).toString('base64url');
}
function idOfCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isUuid(id)) throw new ValidationError({ cursor: ['is not a cursor this API issued'] });
  return id;
}

/** Webhook endpoints (scope admin): CRUD, rotate-secret, test, deliveries, replay. */
export function createWebhookService({ db, box, clock, vetUrl, wake }: WebhookServiceDeps) {
  async function checkUrl(url: string): Promise<void> {
    const refused = await vetUrl(url);
    if (refused !== undefined)
      throw new ValidationError({ url: [refused] }, 'credvault refuses to send webhooks to that URL.');
  }

  async function getRow(accountId: string, id: string, q: Db = db): Promise<EndpointRow> {
    if (!isUuid(id)) throw new NotFoundError('webhook endpoint');
    const row = await q
      .selectFrom('webhook_endpoints')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('webhook endpoint');
    return row;
  }

  return {
    async create(accountId: string, input: CreateEndpointInput): Promise<EndpointView & { secret: string }> {
      await checkUrl(input.url);
      const id = randomUUID();
      const now = clock.now();
      const secret = newSigningSecret();
      const row = await db
        .insertInto('webhook_endpoints')
        .values({
          id,
          account_id: accountId,
          url: input.url,
          description: input.description ?? null,
          event_types: input.event_types ?? [],
          enabled: input.enabled ?? true,
          disabled_reason: null,
          secret: box.seal(secret, endpointSecretPlace(accountId, id, 'secret')),
          previous_secret: null,
          previous_secret_expires_at: null,
          failing_since: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ...presentEndpoint(row), secret };
    },

    async list(accountId: string, limit: number, cursor: string | undefined) {
      const page = await paginate(
        db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId),
        'webhook_endpoints',
        limit,
        cursor,
      );
      return { data: page.rows.map(presentEndpoint), next_cursor: page.next_cursor };
    },

    async get(accountId: string, id: string): Promise<EndpointView> {
      return presentEndpoint(await getRow(accountId, id));
    },

    async update(accountId: string, id: string, input: PatchEndpointInput): Promise<EndpointView> {
      await getRow(accountId, id);
      if (input.url !== undefined) await checkUrl(input.url);
      const row = await db
        .updateTable('webhook_endpoints')
        .set({
          ...(input.url !== undefined ? { url: input.url } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.event_types !== undefined ? { event_types: input.event_types } : {}),
          // Enabling again forgets why it was disabled and the failure streak; what failed stays failed (replay resends).
          ...(input.enabled !== undefined
            ? { enabled: input.enabled, disabled_reason: null, ...(input.enabled ? { failing_since: null } : {}) }
            : {}),
          updated_at: clock.now(),
        })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new NotFoundError('webhook endpoint');
      return presentEndpoint(row);
    },

    async remove(accountId: string, id: string): Promise<{ id: string; deleted: true }> {
      if (!isUuid(id)) throw new NotFoundError('webhook endpoint');
      const gone = await db
        .deleteFrom('webhook_endpoints')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returning('id')
        .executeTakeFirst();
      if (!gone) throw new NotFoundError('webhook endpoint');
      return { id, deleted: true };
    },

    /** A new secret, shown once; the old one keeps signing for 24 h (both signatures are sent). */
    async rotateSecret(accountId: string, id: string): Promise<EndpointView & { secret: string }> {
      const secret = newSigningSecret();
      const row = await db.transaction().execute(async (trx) => {
        const old = await trx
          .selectFrom('webhook_endpoints')
          .selectAll()
          .where('account_id', '=', accountId)
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (!old || !isUuid(id)) throw new NotFoundError('webhook endpoint');
        const now = clock.now();
        const current = box.open(old.secret, endpointSecretPlace(accountId, id, 'secret'));
        return trx
          .updateTable('webhook_endpoints')
          .set({
            secret: box.seal(secret, endpointSecretPlace(accountId, id, 'secret')),
            previous_secret: box.seal(current, endpointSecretPlace(accountId, id, 'previous_secret')),
            previous_secret_expires_at: new Date(now.getTime() + PREVIOUS_SECRET_MS),
            updated_at: now,
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      return { ...presentEndpoint(row), secret };
    },

    /** Sends a `webhook_endpoint.test` event to this endpoint only, now (even when it filters that type out). */
    async test(accountId: string, id: string): Promise<{ event_id: string }> {
      const endpoint = await getRow(accountId, id);
      const now = clock.now();
      const eventId = uuidv7(now);
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('events')
          .values({
            id: eventId,
            account_id: accountId,
            type: 'webhook_endpoint.test',
            data: JSON.stringify({ endpoint: presentEndpoint(endpoint) }),
            created_at: now,
          })
          .execute();
        await trx
          .insertInto('webhook_deliveries')
          .values({
            event_id: eventId,
            endpoint_id: id,
            status: 'pending',
            next_attempt_at: now,
            lease_owner: null,
            lease_expires_at: null,
          })
          .execute();
      });
      wake?.();
      return { event_id: eventId };
    },

    /** Attempts, newest first. */
    async deliveries(
      accountId: string,
      id: string,
      q: ListDeliveriesInput,
    ): Promise<{ data: AttemptView[]; next_cursor: string | null }> {
      await getRow(accountId, id);
      let query = db.selectFrom('webhook_attempts').selectAll().where('endpoint_id', '=', id);
      if (q.status === 'succeeded') query = query.where('status_code', '>=', 200).where('status_code', '<', 300);
      if (q.status === 'failed')
        query = query.where(sql<boolean>`(status_code is null or status_code < 200 or status_code >= 300)`);
      if (q.cursor !== undefined) query = query.where('id', '<', idOfCursor(q.cursor));
      const rows = await query
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return {
        data: page.map((a) => ({
          id: a.id,
          event_id: a.event_id,
          event_type: a.event_type,
          attempted_at: iso(new Date(a.attempted_at)),
          status_code: a.status_code,
          error: a.error,
          duration_ms: a.duration_ms,
          response_excerpt: a.response_excerpt,
        })),
        next_cursor: rows.length > q.limit && last ? cursorOf(last.id) : null,
      };
    },

    /** Queues again every retained event since `since` that the endpoint's filter matches. */
    async replay(accountId: string, id: string, since: string): Promise<{ queued: number }> {
      const endpoint = await getRow(accountId, id);
      const now = clock.now();
      const res = await sql<{ n: number }>`with q as (
          insert into webhook_deliveries (event_id, endpoint_id, status, attempts, next_attempt_at)
          select e.id, ${id}::uuid, 'pending', 0, ${now}::timestamptz from events e
          where e.account_id = ${accountId}::uuid and e.created_at >= ${new Date(since)}::timestamptz and e.type <> 'webhook_endpoint.test'
            and ${subscribes(sql`${endpoint.event_types}::text[]`, sql.ref('e.type'))}
          on conflict (event_id, endpoint_id) do update set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, lease_owner = null, lease_expires_at = null
          returning 1
        ) select count(*)::int as n from q`.execute(db);
      wake?.();
      return { queued: Number(res.rows[0]?.n ?? 0) };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
