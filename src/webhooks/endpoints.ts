import type { Selectable } from 'kysely';
import { writeEvents } from '../events/outbox.js';
import { iso } from '../lib/clock.js';
import type { Db } from '../store/db.js';
import type { WebhookEndpointsTable } from '../store/schema.js';
import type { EndpointView } from './schemas.js';

export type EndpointRow = Selectable<WebhookEndpointsTable>;

/** Where an endpoint's signing secrets live (AAD): one definition in crypto/places.ts, shared with key rotation. */
export { webhookEndpointSecretPlace as endpointSecretPlace } from '../crypto/places.js';

/** The allowlisted answer for an endpoint: never a secret. */
export function presentEndpoint(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    previous_secret_expires_at: row.previous_secret_expires_at ? iso(new Date(row.previous_secret_expires_at)) : null,
    created_at: iso(new Date(row.created_at)),
    updated_at: iso(new Date(row.updated_at)),
  };
}

/**
 * credvault gives up on an endpoint (410 Gone, or 3 days of failures): disabled, its pending
 * deliveries failed (re-enabling does not resend them; replay does), and a
 * `webhook_endpoint.disabled` event, all on `trx`. No-op when it is already disabled.
 */
export async function disableEndpoint(trx: Db, endpointId: string, reason: string, now: Date): Promise<boolean> {
  const row = await trx
    .updateTable('webhook_endpoints')
    .set({ enabled: false, disabled_reason: reason, updated_at: now })
    .where('id', '=', endpointId)
    .where('enabled', '=', true)
    .returningAll()
    .executeTakeFirst();
  if (!row) return false;
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', lease_owner: null, lease_expires_at: null })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
  await writeEvents(
    trx,
    [{ accountId: row.account_id, type: 'webhook_endpoint.disabled', data: presentEndpoint(row) }],
    now,
  );
  return true;
}
