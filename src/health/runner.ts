import type { Logger } from 'pino';
import { MAX_IDENTITY_LENGTH } from '../credentials/prepare.js';
import type { Clock } from '../lib/clock.js';
import { mergeLearned } from '../providers/learned.js';
import type { KindSpec } from '../providers/types.js';
import type { OAuthAppSecrets, ProviderFailure, ProviderModule } from '../providers/module.js';
import type { Provider } from '../providers/types.js';
import { type Renewer, appHostFailure } from '../tokens/renew.js';
import { canRefresh, currentToken } from '../tokens/state.js';
import type { AppHealthNotes } from './app-health.js';
import type { ContextFactory } from './context.js';
import { finishWork } from './lease.js';
import { type SchedulePolicy, failureResult, nextRoutineCheck, okHealth } from './model.js';
import type { CredentialSecrets } from './secrets.js';
import type { HealthStore, WorkResult, WorkRow } from './store.js';

export interface RunnerDeps {
  store: HealthStore;
  secrets: CredentialSecrets;
  clock: Clock;
  log: Logger;
  modules: Record<Provider, ProviderModule>;
  spec(kind: string): KindSpec | undefined;
  oauthAppSecrets(accountId: string, appId: string): Promise<OAuthAppSecrets | undefined>;
  context: ContextFactory;
  /** The token path's renewal (src/tokens/renew.ts): refresh or mint, stored before use. */
  renew: Renewer;
  noteApp: AppHealthNotes;
  policy: SchedulePolicy;
  fingerprint(secret: string): string;
  nodeId: string;
  /**
   * Writes a finished result and releases the lease, guarded by lease and version like
   * store.write (the scheduler batches these); undefined when the guard failed.
   */
  finalWrite?: (row: WorkRow, r: WorkResult) => Promise<WorkRow | undefined>;
}

export interface WorkOptions {
  identify: boolean;
  forceRefresh?: boolean;
  /** Called once the work has made its last provider call, before its final write. */
  providerDone?: () => void;
}

/**
 * Checks and refreshes one credential whose lease the caller holds. Provider calls happen with
 * no transaction or row lock open; every write is guarded by lease owner and row version.
 */
export function createRunner(d: RunnerDeps) {
  const noteApp = d.noteApp;

  function finish(row: WorkRow, r: WorkResult): Promise<WorkRow> {
    return finishWork(d, row, r, d.finalWrite);
  }

  function failure(row: WorkRow, f: ProviderFailure, extra: WorkResult = {}): WorkResult {
    return { ...extra, ...failureResult(row.health, f, d.clock.now(), d.policy) };
  }

  /** Folds what identify learned into properties; a learned account id becomes the identity when free. */
  async function learn(
    row: WorkRow,
    spec: KindSpec,
    learned: Record<string, unknown>,
    r: WorkResult,
    plain: Record<string, string>,
    cached: string | undefined,
  ): Promise<string | undefined> {
    const properties = mergeLearned(spec, r.properties ?? row.properties, learned);
    r.properties = properties;
    let identity: string;
    try {
      // NFC, as at import (credentials/prepare.ts): `café` composed or decomposed is one account.
      identity = spec.identity({ ...properties, ...plain }, { fingerprint: d.fingerprint }).value.normalize('NFC');
    } catch {
      return undefined;
    }
    // A learned identity past the import limit is not stored (it is a unique index key).
    if (identity === row.identity || identity.length > MAX_IDENTITY_LENGTH) return undefined;
    const holder = await d.store.holderOf(row.account_id, row.provider, identity);
    if (holder && holder !== row.id) {
      return `This credential belongs to the same provider account as credential ${holder}; keep one of them and delete the other.`;
    }
    r.identity = identity;
    r.secrets = d.secrets.reseal(row, plain, identity);
    if (cached) r.cachedToken = d.secrets.sealCached(row, identity, cached);
    return undefined;
  }

  return {
    /** Refreshes when due (or forced) and optionally identifies; the caller holds the lease. */
    async work(leased: WorkRow, opts: WorkOptions): Promise<WorkRow> {
      let row = leased;
      // The final write (or release) follows the last provider call: tell the caller first.
      const done = (r: WorkRow, result: WorkResult) => {
        opts.providerDone?.();
        return finish(r, result);
      };
      const spec = d.spec(row.kind);
      const module = d.modules[row.provider as Provider];
      if (!spec || !module) return done(row, {});
      const app = row.oauth_app_id ? await d.oauthAppSecrets(row.account_id, row.oauth_app_id) : undefined;
      // The app's secret goes only to hosts the app names (issue 13 item 1), whatever was stored before.
      const refusedHost = app ? appHostFailure(spec, row.properties, app) : undefined;
      if (refusedHost) return done(row, failure(row, refusedHost));
      const now = d.clock.now();
      // The secrets are opened once per work: a refresh answers them with its new tokens in.
      let plain = d.secrets.openAll(row);
      let cached = d.secrets.openCached(row);
      const { token, expiresAt } = currentToken(row, plain, cached, spec);
      const due = !token || !expiresAt || expiresAt.getTime() - d.policy.refreshMarginSeconds * 1000 <= now.getTime();
      // A check refreshes a due token first, unless the kind mints tokens and its check does
      // not use one (a client-credentials check runs the grant itself: minting too would ask twice).
      const source = spec.accessToken;
      const checkUsesToken = source.from !== 'mint' || source.checkNeedsToken;
      if (canRefresh(spec, plain, module) && (opts.forceRefresh || (due && (checkUsesToken || !opts.identify)))) {
        const res = await d.renew(row, plain, spec, module, app);
        if (!res.ok) {
          if (res.raced) {
            opts.providerDone?.();
            await d.store.release(row.id, d.nodeId);
            return res.row;
          }
          return done(row, failure(row, res.failure));
        }
        ({ row, plain, cached } = res);
      }
      if (!opts.identify) return done(row, {});
      const fresh = plain;
      const properties = {
        ...row.properties,
        ...fresh,
        ...(cached && spec.tokenField === null ? { access_token: cached } : {}),
      };
      const res = await module.identify({ kind: spec.kind, properties }, d.context(module, app));
      if (!res.ok) {
        await noteApp(row, res, false);
        return done(row, failure(row, res));
      }
      const r: WorkResult = {};
      const conflict = await learn(row, spec, { ...(res.learned ?? {}) }, r, fresh, cached);
      const tokenExpiry = currentToken(row, fresh, cached, spec).expiresAt;
      // Refresh tokens are kept alive ahead of expiry; minted tokens are made again when asked for.
      const keepAlive = spec.accessToken.from === 'refresh' && canRefresh(spec, fresh, module);
      const next = nextRoutineCheck(d.clock.now(), d.policy, keepAlive ? tokenExpiry : null);
      const warning = conflict ? { reason: 'misconfigured' as const, note: conflict } : res.warning;
      const health = okHealth(d.clock.now(), next, warning);
      return done(row, {
        ...r,
        health: { ...health },
        healthStatus: health.status,
        nextCheckAt: next,
        consecutiveFailures: 0,
        tokenExpiresAt: tokenExpiry,
      });
    },
  };
}

export type Runner = ReturnType<typeof createRunner>;
