/**
 * Renews a credential's access token at its provider: an OAuth refresh grant or a mint (GitHub
 * App installation token, client-credentials grant), then stores it before anything else
 * happens (docs/security.md R5): a rotated refresh token is written before the new access token
 * is answered or used, and a failed write is retried, since the new tokens exist nowhere else.
 * The caller holds the lease and has opened the secrets; nothing here opens them again.
 */
import type { Logger } from 'pino';
import type { AppHealthNotes } from '../health/app-health.js';
import type { ContextFactory } from '../health/context.js';
import { pendingHealth } from '../health/model.js';
import type { CredentialSecrets } from '../health/secrets.js';
import type { HealthStore, WorkResult, WorkRow } from '../health/store.js';
import type { Clock } from '../lib/clock.js';
import { appHostRefusal, tenantHostOf } from '../oauth-apps/hosts.js';
import { mergeLearned } from '../providers/learned.js';
import type { OAuthAppSecrets, ProviderFailure, ProviderModule } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';

// Salesforce and Stripe Connect token replies carry no lifetime; assume an hour (Salesforce's
// shortest default session timeout is 2 hours), so the token is renewed well before it dies.
const DEFAULT_TOKEN_LIFETIME_S = 3600;

export interface RenewDeps {
  store: HealthStore;
  secrets: CredentialSecrets;
  clock: Clock;
  log: Logger;
  context: ContextFactory;
  nodeId: string;
  noteApp: AppHealthNotes;
  /** Test hook: called at named points (e.g. 'refresh:before-persist') so a test can crash there. */
  failpoint?: (name: string) => void;
}

export type Renewal =
  /** Stored (lease kept): the row as written, the new token, and the row's secrets now open. */
  | {
      ok: true;
      row: WorkRow;
      accessToken: string;
      expiresAt: Date;
      plain: Record<string, string>;
      cached: string | undefined;
    }
  /** Another worker or a re-import changed the row meanwhile: its state wins (lease kept). */
  | { ok: false; raced: true; row: WorkRow }
  /** The provider refused or failed (lease kept, nothing written). */
  | { ok: false; raced?: undefined; row: WorkRow; failure: ProviderFailure };

/** A misconfigured failure when the credential's tenant host is not one the app's secret may go to. */
export function appHostFailure(
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

export function createRenewer(d: RenewDeps) {
  return async function renew(
    row: WorkRow,
    plain: Record<string, string>,
    spec: KindSpec,
    module: ProviderModule,
    app: OAuthAppSecrets | undefined,
  ): Promise<Renewal> {
    const refreshFn = module.refresh;
    if (!refreshFn)
      return {
        ok: false,
        row,
        failure: { ok: false, reason: 'misconfigured', note: 'This kind cannot be refreshed.' },
      };
    const res = await refreshFn(
      { kind: spec.kind, properties: { ...row.properties, ...plain } },
      d.context(module, app),
    );
    if (!res.ok) {
      await d.noteApp(row, res, app !== undefined);
      if (res.reason === 'invalid_grant') {
        // Did another worker (or a re-import) change the refresh token meanwhile? Then this was a lost race, not a revocation.
        const fresh = await d.store.get(row.id);
        if (fresh && fresh.secrets.refresh_token !== row.secrets.refresh_token)
          return { ok: false, row: fresh, raced: true };
      }
      return { ok: false, row, failure: res };
    }
    d.failpoint?.('refresh:before-persist');
    const now = d.clock.now();
    const expiresAt = res.expiresAt ?? new Date(now.getTime() + DEFAULT_TOKEN_LIFETIME_S * 1000);
    const secrets = { ...row.secrets };
    const opened = { ...plain };
    let cached: string | undefined;
    const r: WorkResult = { tokenExpiresAt: expiresAt };
    const properties: Record<string, unknown> = { ...row.properties };
    if (spec.tokenField !== null) {
      secrets[spec.tokenField] = d.secrets.seal(row, row.identity, spec.tokenField, res.accessToken);
      opened[spec.tokenField] = res.accessToken;
      if (spec.expiryField !== null) properties[spec.expiryField] = expiresAt.toISOString();
    } else {
      r.cachedToken = d.secrets.sealCached(row, row.identity, res.accessToken);
      cached = res.accessToken;
    }
    // A reply without refresh_token keeps the old one; a kind that declares no refresh_token
    // secret (Marketo) never stores one, whatever the reply holds (its export would not re-import).
    if (res.refreshToken && (spec.secretFields as readonly string[]).includes('refresh_token')) {
      secrets.refresh_token = d.secrets.seal(row, row.identity, 'refresh_token', res.refreshToken);
      opened.refresh_token = res.refreshToken;
    }
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
          await d.noteApp(row, res, app !== undefined);
          return { ok: true, row: written, accessToken: res.accessToken, expiresAt, plain: opened, cached };
        }
        d.log.warn(
          { credential_id: row.id },
          'refreshed tokens not stored: the credential was re-imported or the lease was lost',
        );
        return { ok: false, row: (await d.store.get(row.id)) ?? row, raced: true };
      } catch (err) {
        if (attempt >= 4) throw err;
        d.log.error(
          { credential_id: row.id, attempt, err: { type: err instanceof Error ? err.name : 'unknown' } },
          'storing refreshed tokens failed; retrying',
        );
        await new Promise((r2) => setTimeout(r2, 200 * 2 ** attempt));
      }
    }
  };
}

export type Renewer = ReturnType<typeof createRenewer>;
