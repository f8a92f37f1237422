/**
 * Where each OAuth app's client secret has been sent (issue 13 item 1): the first use toward a
 * host is recorded in oauth_app_hosts and audited (`oauth_app.secret_sent_to_new_host`, detail
 * { host }) in one transaction, before the request leaves. Later uses cost nothing: a node
 * remembers the pairs it has seen.
 */
import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';
import type { Db } from '../store/db.js';

export const SECRET_SENT_TO_NEW_HOST = 'oauth_app.secret_sent_to_new_host';

export function createAppHostLedger(d: { db: Db; audit: Pick<AuditService, 'record'>; clock: Clock }) {
  const seen = new Set<string>();
  return async (accountId: string, appId: string, host: string): Promise<void> => {
    const key = `${appId}\u0000${host}`;
    if (seen.has(key)) return;
    await d.db.transaction().execute(async (trx) => {
      const added = await trx
        .insertInto('oauth_app_hosts')
        .values({ oauth_app_id: appId, host, first_used_at: d.clock.now() })
        .onConflict((oc) => oc.columns(['oauth_app_id', 'host']).doNothing())
        .returning('host')
        .executeTakeFirst();
      if (added)
        await d.audit.record(
          { accountId, actorTokenId: null, action: SECRET_SENT_TO_NEW_HOST, oauthAppId: appId, detail: { host } },
          trx,
        );
    });
    if (seen.size > 10_000) seen.clear();
    seen.add(key);
  };
}

export type AppHostLedger = ReturnType<typeof createAppHostLedger>;
