import { presentCredential } from '../credentials/present.js';
import type { CredentialRow } from '../credentials/repository/columns.js';
import { createOAuthAppRepository } from '../oauth-apps/repository.js';
import { type OAuthAppRow, presentOAuthApp } from '../oauth-apps/service.js';
import type { Db } from '../store/db.js';
import { type NewEvent, writeEvents } from './outbox.js';

/** A credential row before and after a background write (a check, a refresh, a learned identity). */
export interface CredentialChange {
  before: CredentialRow;
  after: CredentialRow;
}

/** Properties other than the token expiry a refresh moves on every refresh. */
function identifying(properties: Record<string, unknown>): string {
  const { expires_at: _ignored, ...rest } = properties;
  return JSON.stringify(rest);
}

/**
 * The event types a background write makes (docs/events.md, "Types"): `health_changed` only
 * when `health.status` changes (a refresh that works makes none); `updated` when the provider
 * taught us who the credential belongs to (identity or learned properties).
 */
export function changeTypes(c: CredentialChange): Array<'credential.health_changed' | 'credential.updated'> {
  const types: Array<'credential.health_changed' | 'credential.updated'> = [];
  if (c.before.health_status !== c.after.health_status) types.push('credential.health_changed');
  if (c.before.identity !== c.after.identity || identifying(c.before.properties) !== identifying(c.after.properties))
    types.push('credential.updated');
  return types;
}

/**
 * Records the events of background credential writes on `trx`, the transaction of the write:
 * the credentials presented as the API presents them (with their OAuth app), in one statement.
 */
export async function recordCredentialChanges(trx: Db, changes: readonly CredentialChange[], now: Date): Promise<void> {
  const withTypes = changes.map((c) => ({ c, types: changeTypes(c) })).filter((x) => x.types.length > 0);
  if (withTypes.length === 0) return;
  const appIds = [...new Set(withTypes.map((x) => x.c.after.oauth_app_id).filter((id): id is string => id !== null))];
  const apps = new Map<string, OAuthAppRow>();
  for (const a of await createOAuthAppRepository(trx).byIds(appIds)) apps.set(a.id, a);
  const events: NewEvent[] = [];
  for (const { c, types } of withTypes) {
    const view = presentCredential(c.after, c.after.oauth_app_id ? (apps.get(c.after.oauth_app_id) ?? null) : null);
    for (const type of types) {
      events.push({
        accountId: c.after.account_id,
        type,
        data: type === 'credential.health_changed' ? { ...view, previous_status: c.before.health_status } : view,
      });
    }
  }
  await writeEvents(trx, events, now);
}

/** Records `oauth_app.health_changed` for an app whose health status changed, on `trx`. */
export async function recordAppHealthChange(
  trx: Db,
  app: OAuthAppRow,
  previousStatus: string,
  now: Date,
): Promise<void> {
  await writeEvents(
    trx,
    [
      {
        accountId: app.account_id,
        type: 'oauth_app.health_changed',
        data: { ...presentOAuthApp(app), previous_status: previousStatus },
      },
    ],
    now,
  );
}
