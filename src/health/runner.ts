import type { Logger } from 'pino';
import { MAX_IDENTITY_LENGTH } from '../credentials/prepare.js';
import { type Clock, isoSeconds } from '../lib/clock.js';
import { appHostRefusal, tenantHostOf } from '../oauth-apps/hosts.js';
import { mergeLearned } from '../providers/learned.js';
import type { KindSpec } from '../providers/types.js';
import type { OAuthAppSecrets, ProviderFailure, ProviderModule } from '../providers/module.js';
import type { Provider } from '../providers/types.js';
import type { ContextFactory } from './context.js';
import {
  type SchedulePolicy,
  failedHealth,
  isTransient,
  nextBackoffCheck,
  nextRoutineCheck,
  okHealth,
  pendingHealth,
  readHealth,
} from './model.js';
import type { CredentialSecrets } from './secrets.js';
import type { HealthStore, WorkResult, WorkRow } from './store.js';

// Salesforce and Stripe Connect token replies carry no lifetime; assume an hour (Salesforce's
// shortest default session timeout is 2 hours), so the token is renewed well before it dies.
const DEFAULT_TOKEN_LIFETIME_S = 3600;

export interface RunnerDeps {
  store: HealthStore;
  secrets: CredentialSecrets;
  clock: Clock;
  log: Logger;
  modules: Record<Provider, ProviderModule>;
  spec(kind: string): KindSpec | undefined;
  oauthAppSecrets(accountId: string, appId: string): Promise<OAuthAppSecrets | undefined>;
  context: ContextFactory;
  policy: SchedulePolicy;
  fingerprint(secret: string): string;
  nodeId: string;
  /** Test hook: called at named points (e.g. 'refresh:before-persist') so a test can crash there. */
  failpoint?: (name: string) => void;
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

/** The current access token of a row and its expiry, wherever the kind keeps it. */
export function currentToken(row: WorkRow, plain: Record<string, string>, cached: string | undefined, spec: KindSpec) {
  const token = spec.tokenField === null ? cached : plain[spec.tokenField];
  const prop = spec.expiryField === null ? undefined : row.properties[spec.expiryField];
  const expiresAt = row.token_expires_at ?? (typeof prop === 'string' ? new Date(prop) : null);
  return { token, expiresAt };
}

/** A misconfigured failure when the credential's tenant host is not one the app's secret may go to. */
function appHostFailure(
  spec: KindSpec,
  props: Record<string, unknown>,
  app: OAuthAppSecrets,
): ProviderFailure | undefined {
  const found = tenantHostOf(spec, props);
  if (!spec.tenantHost?.appBound || !found) return undefined;
  const refusal = appHostRefusal(
    { id: app.app?.id ?? '?', name: app.app?.name ?? '?', settings: app.settings },
    found.host,
  );
  return refusal ? { ok: false, reason: 'misconfigured', note: `The host ${found.host} ${refusal}` } : undefined;
}

/** Whether refresh() can renew this credential's access token: minted kinds always, OAuth kinds with a refresh_token. */
export function canRefresh(spec: KindSpec, plain: Record<string, string>, module: ProviderModule): boolean {
  if (module.refresh === undefined) return false;
  const source = spec.accessToken.from;
  return source === 'mint' || (source === 'refresh' && typeof plain.refresh_token === 'string');
}

/**
 * Checks and refreshes one credential whose lease the caller holds. Provider calls happen with
 * no transaction or row lock open; every write is guarded by lease owner and row version.
 */
export function createRunner(d: RunnerDeps) {
  /** Apps last seen working, by id, with when (ms): a busy app is not re-marked ok on every refresh. */
  const appsOk = new Map<string, number>();
  const APP_OK_MEMO_MS = 60_000;

  /**
   * What a provider call that used the OAuth app says about the app: a refresh that worked
   * proves its client credentials; a failure the provider pinned on the app marks it `error`
   * with the same note. Never fails the work it comes from.
   */
  async function noteApp(row: WorkRow, res: { ok: true } | ProviderFailure, usedApp: boolean): Promise<void> {
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
  }

  async function finish(row: WorkRow, r: WorkResult): Promise<WorkRow> {
    const written = d.finalWrite
      ? await d.finalWrite(row, r)
      : await d.store.write(row.id, d.nodeId, row.version, r, true);
    if (written) return written;
    // Re-imported or lease lost meanwhile: the newer state wins; let go of the lease.
    await d.store.release(row.id, d.nodeId);
    return (await d.store.get(row.id)) ?? row;
  }

  function failure(row: WorkRow, f: ProviderFailure, extra: WorkResult = {}): WorkResult {
    const now = d.clock.now();
    const prev = readHealth(row.health, now);
    const next = isTransient(f.reason)
      ? nextBackoffCheck(now, prev.consecutive_failures + 1, d.policy, f.retryAfterSeconds)
      : nextRoutineCheck(now, d.policy, null);
    const health = failedHealth(prev, f, now, next);
    return {
      ...extra,
      health: { ...health },
      healthStatus: health.status,
      nextCheckAt: next,
      consecutiveFailures: health.consecutive_failures,
    };
  }

  /** Refreshes and persists before anything else happens (docs/security.md R5). */
  async function refresh(row: WorkRow, spec: KindSpec, module: ProviderModule, app: OAuthAppSecrets | undefined) {
    const plain = d.secrets.openAll(row);
    const ctx = d.context(module, app);
    const refreshFn = module.refresh;
    if (!refreshFn)
      return {
        ok: false as const,
        row,
        failure: { ok: false as const, reason: 'misconfigured' as const, note: 'This kind cannot be refreshed.' },
      };
    const res = await refreshFn({ kind: spec.kind, properties: { ...row.properties, ...plain } }, ctx);
    if (!res.ok) {
      await noteApp(row, res, app !== undefined);
      if (res.reason === 'invalid_grant') {
        // Did another worker (or a re-import) change the refresh token meanwhile? Then this was a lost race, not a revocation.
        const fresh = await d.store.get(row.id);
        if (fresh && fresh.secrets.refresh_token !== row.secrets.refresh_token)
          return { ok: false as const, row: fresh, raced: true };
      }
      return { ok: false as const, row, failure: res };
    }
    d.failpoint?.('refresh:before-persist');
    const now = d.clock.now();
    const expiresAt = res.expiresAt ?? new Date(now.getTime() + DEFAULT_TOKEN_LIFETIME_S * 1000);
    const secrets = { ...row.secrets };
    const r: WorkResult = { tokenExpiresAt: expiresAt };
    const properties: Record<string, unknown> = { ...row.properties };
    if (spec.tokenField !== null) {
      secrets[spec.tokenField] = d.secrets.seal(row, row.identity, spec.tokenField, res.accessToken);
      if (spec.expiryField !== null) properties[spec.expiryField] = expiresAt.toISOString();
    } else {
      r.cachedToken = d.secrets.sealCached(row, row.identity, res.accessToken);
    }
    // A reply without refresh_token keeps the old one; a kind that declares no refresh_token
    // secret (Marketo) never stores one, whatever the reply holds (its export would not re-import).
    if (res.refreshToken && (spec.secretFields as readonly string[]).includes('refresh_token'))
      secrets.refresh_token = d.secrets.seal(row, row.identity, 'refresh_token', res.refreshToken);
    r.secrets = secrets;
    r.properties = mergeLearned(spec, properties, res.learned);
    if (row.health_status === 'error') {
      // The provider just issued a token: the recorded refusal is out of date. Unknown until the
      // next check, which is due at once.
      const health = pendingHealth(
        now,
        'A token refresh worked again after the last refusal; the next check (due now) confirms the credential.',
      );
      Object.assign(r, { health: { ...health }, healthStatus: health.status, nextCheckAt: now });
    }
    // Persist before the lease is released; retry a failed write, the new tokens exist nowhere else.
    for (let attempt = 0; ; attempt++) {
      try {
        const written = await d.store.write(row.id, d.nodeId, row.version, r, false);
        if (written) {
          // Only once the new tokens are stored (R5): then the app, whose credentials just worked.
          await noteApp(row, res, app !== undefined);
          return { ok: true as const, row: written, accessToken: res.accessToken, expiresAt };
        }
        d.log.warn(
          { credential_id: row.id },
          'refreshed tokens not stored: the credential was re-imported or the lease was lost',
        );
        return { ok: false as const, row: (await d.store.get(row.id)) ?? row, raced: true };
      } catch (err) {
        if (attempt >= 4) throw err;
        d.log.error(
          { credential_id: row.id, attempt, err: { type: err instanceof Error ? err.name : 'unknown' } },
          'storing refreshed tokens failed; retrying',
        );
        await new Promise((r2) => setTimeout(r2, 200 * 2 ** attempt));
      }
    }
  }

  /** Folds what identify learned into properties; a learned account id becomes the identity when free. */
  async function learn(
    row: WorkRow,
    spec: KindSpec,
    learned: Record<string, unknown>,
    r: WorkResult,
    plain: Record<string, string>,
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
    const cached = d.secrets.openCached(row);
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
      const plain = d.secrets.openAll(row);
      const { token, expiresAt } = currentToken(row, plain, d.secrets.openCached(row), spec);
      const due = !token || !expiresAt || expiresAt.getTime() - d.policy.refreshMarginSeconds * 1000 <= now.getTime();
      // A check refreshes a due token first, unless the kind mints tokens and its check does
      // not use one (a client-credentials check runs the grant itself: minting too would ask twice).
      const source = spec.accessToken;
      const checkUsesToken = source.from !== 'mint' || source.checkNeedsToken;
      if (canRefresh(spec, plain, module) && (opts.forceRefresh || (due && (checkUsesToken || !opts.identify)))) {
        const res = await refresh(row, spec, module, app);
        if (!res.ok) {
          if ('raced' in res) {
            opts.providerDone?.();
            await d.store.release(row.id, d.nodeId);
            return res.row;
          }
          return done(row, failure(row, res.failure));
        }
        row = res.row;
      }
      if (!opts.identify) return done(row, {});
      // Opened once per row: a refresh replaced the row (and its secrets), otherwise reuse `plain`.
      const fresh = row === leased ? plain : d.secrets.openAll(row);
      const cached = d.secrets.openCached(row);
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
      const conflict = await learn(row, spec, { ...(res.learned ?? {}) }, r, fresh);
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
