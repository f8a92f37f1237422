/**
 * What a provider call that used an OAuth app says about the app (docs/api.md, OAuth app
 * health): a refresh that worked proves its client credentials; a failure the provider pinned on
 * the app marks it `error` with the same note. Shared by checks (runner.ts) and the token path
 * (src/tokens/), so one memo keeps a busy app from being re-marked ok on every refresh.
 */
import type { Logger } from 'pino';
import { type Clock, isoSeconds } from '../lib/clock.js';
import type { ProviderFailure } from '../providers/module.js';
import type { HealthStore, WorkRow } from './store.js';

const APP_OK_MEMO_MS = 60_000;

export function createAppHealthNotes(d: { store: HealthStore; clock: Clock; log: Logger }) {
  /** Apps last seen working, by id, with when (ms). */
  const appsOk = new Map<string, number>();
  /** Never fails the work it comes from. */
  return async function noteApp(row: WorkRow, res: { ok: true } | ProviderFailure, usedApp: boolean): Promise<void> {
    const appId = row.oauth_app_id;
    if (!appId) return;
    const now = d.clock.now();
    try {
      if (res.ok) {
        if (!usedApp || now.getTime() - (appsOk.get(appId) ?? -Infinity) < APP_OK_MEMO_MS) return;
        await d.store.setAppHealth(appId, {
          status: 'ok',
          notes: [],
          time: isoSeconds(now),
          reason: null,
          checked_at: isoSeconds(now),
        });
        appsOk.set(appId, now.getTime());
      } else if (res.oauthApp) {
        appsOk.delete(appId);
        await d.store.setAppHealth(appId, {
          status: 'error',
          notes: [res.note, `Seen on credential ${row.id}; every credential using this OAuth app is affected.`],
          time: isoSeconds(now),
          reason: res.reason,
          checked_at: isoSeconds(now),
        });
      }
    } catch (err) {
      d.log.warn(
        { oauth_app_id: appId, err: { type: err instanceof Error ? err.name : 'unknown' } },
        'recording the OAuth app health failed',
      );
    }
  };
}

export type AppHealthNotes = ReturnType<typeof createAppHealthNotes>;
