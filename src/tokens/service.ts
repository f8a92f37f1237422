/**
 * The token path (docs/architecture.md, "The token path"): "give me a valid access token for
 * this credential", for POST /v1/credentials/{id}/access-token and the proxy. The token state is
 * judged without opening a secret (state.ts); a fresh token costs one decryption, its own; a due
 * one is renewed (renew.ts) once per credential however many requests ask (single-flight here,
 * the lease across nodes), with the secrets opened once under the lease, and the new token is
 * answered from the renewal without being opened again. Expiry is judged by the injected clock.
 */
import type { AuditService } from '../audit/service.js';
import { finishWork, singleFlight, withLease } from '../health/lease.js';
import { type SchedulePolicy, failureResult, readHealth } from '../health/model.js';
import type { CredentialSecrets } from '../health/secrets.js';
import type { HealthStore, WorkRow } from '../health/store.js';
import type { Clock } from '../lib/clock.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { OAuthAppSecrets, ProviderModule } from '../providers/module.js';
import type { Provider } from '../providers/registry.js';
import type { KindSpec } from '../providers/types.js';
import { type Renewer, appHostFailure } from './renew.js';
import { canRefresh, heldToken, openToken } from './state.js';

export interface TokenServiceDeps {
  store: HealthStore;
  secrets: CredentialSecrets;
  renew: Renewer;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  modules: Record<Provider, ProviderModule>;
  spec(kind: string): KindSpec | undefined;
  oauthAppSecrets(accountId: string, appId: string): Promise<OAuthAppSecrets | undefined>;
  /** The schedule policy: its refresh margin says when a token is due, its backoff follows a failed renewal. */
  policy: SchedulePolicy;
  nodeId: string;
  leaseMs: number;
}

export interface AccessToken {
  credential_id: string;
  access_token: string;
  token_type: 'bearer';
  expires_at: string | null;
}

/** What the proxy needs to authenticate one call. */
export interface ProxyMaterial {
  row: WorkRow;
  /** Properties, with the secrets opened only when the scheme signs with them (no token). */
  props: Record<string, unknown>;
  token?: string;
  /** The token can be renewed (OAuth refresh or mint): a 401 is worth one refresh. */
  refreshable: boolean;
}

/** How long a refused credential answers 409 before access-token asks the provider again. */
const RETRY_REFUSED_AFTER_MS = 60_000;

/** A renewal's outcome: the row after it and, when this worker renewed, the new token (not opened again). */
interface Renewed {
  row: WorkRow;
  token?: string;
  expiresAt?: Date;
}

export function createTokenService(d: TokenServiceDeps) {
  const flight = singleFlight<Renewed>();
  const lease = { store: d.store, nodeId: d.nodeId, leaseMs: d.leaseMs };
  const kindOf = (row: WorkRow) => ({ spec: d.spec(row.kind), module: d.modules[row.provider as Provider] });
  const held = (row: WorkRow) => {
    const { spec, module } = kindOf(row);
    return heldToken(row, spec, module, d.clock.now(), d.policy.refreshMarginSeconds);
  };
  const tokenIn = (row: WorkRow): string | undefined => {
    const spec = d.spec(row.kind);
    return spec ? openToken(row, spec, d.secrets) : undefined;
  };

  async function owned(accountId: string, id: string): Promise<WorkRow> {
    if (!isUuid(id)) throw new NotFoundError('credential');
    const row = await d.store.get(id);
    if (!row || row.account_id !== accountId) throw new NotFoundError('credential');
    return row;
  }

  /**
   * Renews the token of a leased row and lets go of the lease: the new token, or the failure
   * recorded in the credential's health (the same health a check would record).
   */
  async function renewLeased(leased: WorkRow): Promise<Renewed> {
    const { spec, module } = kindOf(leased);
    if (!spec || !module || !canRefresh(spec, leased.secrets, module)) return { row: await finishWork(d, leased, {}) };
    const app = leased.oauth_app_id ? await d.oauthAppSecrets(leased.account_id, leased.oauth_app_id) : undefined;
    // The app's secret goes only to hosts the app names (issue 13 item 1), whatever was stored before.
    const refusedHost = app ? appHostFailure(spec, leased.properties, app) : undefined;
    const failed = (f: Parameters<typeof failureResult>[1]) =>
      finishWork(d, leased, failureResult(leased.health, f, d.clock.now(), d.policy));
    if (refusedHost) return { row: await failed(refusedHost) };
    const res = await d.renew(leased, d.secrets.openAll(leased), spec, module, app);
    if (res.ok) return { row: await finishWork(d, res.row, {}), token: res.accessToken, expiresAt: res.expiresAt };
    if (res.raced) {
      await d.store.release(leased.id, d.nodeId);
      return { row: res.row };
    }
    return { row: await failed(res.failure) };
  }

  /** One renewal per credential at a time, here and (through the lease) across nodes. */
  function renewOnce(id: string, stillNeeded: (row: WorkRow) => boolean): Promise<Renewed> {
    return flight(`refresh:${id}`, () => withLease(lease, id, renewLeased, stillNeeded, (row) => ({ row })));
  }

  /** A usable token of the credential (renewed first when due), with the refusal rules of access-token. */
  async function validToken(accountId: string, id: string, read?: WorkRow) {
    let row = read ?? (await owned(accountId, id));
    let h = held(row);
    // A token is renewed when it runs out, and also when the credential is in error (a caller
    // reported a 401, or the last check was refused): a token the provider refused is never
    // answered as if it worked. If no new token comes, the answer is 409 with the reason.
    const refusal = (r: WorkRow) => {
      const why = readHealth(r.health, d.clock.now()).notes[0];
      return new AppError(
        409,
        `The provider refused this credential, so no access token is answered${why ? `: ${why}` : '; see the credential health.'}`,
      );
    };
    // Refused within the last minute: answer so at once, without asking the provider again
    // (a caller retrying in a loop must not hammer a provider that already said no).
    if (h.refreshable && row.health_status === 'error') {
      const health = readHealth(row.health, d.clock.now());
      const at = Date.parse(health.checked_at ?? health.time);
      if (d.clock.now().getTime() - at < RETRY_REFUSED_AFTER_MS) throw refusal(row);
    }
    let token: string | undefined;
    let renew = h.refreshable && (!h.fresh || row.health_status === 'error');
    if (!renew && h.stored) {
      token = tokenIn(row);
      // A cached token that cannot be opened (sealed under a retired key, damaged) is made again.
      renew = token === undefined && h.refreshable;
    }
    if (renew) {
      const force = h.stored && h.fresh && row.health_status !== 'error';
      // A refresh that works takes the credential out of `error`, so still `error` afterwards
      // means the provider refused again.
      const out = await renewOnce(id, (r) => {
        const x = held(r);
        return x.refreshable && (force || !x.fresh || r.health_status === 'error');
      });
      row = out.row;
      h = held(row);
      if (row.health_status === 'error') throw refusal(row);
      token = out.token ?? (h.stored ? tokenIn(row) : undefined);
    }
    // An API key (nothing to renew) the provider refused: 409 as well, never answered as if it worked.
    if (!h.refreshable && row.health_status === 'error') throw refusal(row);
    if (h.none !== undefined)
      throw new AppError(422, `Credentials of kind ${row.kind} have no access token: ${h.none}`);
    if (!token) {
      throw new AppError(
        422,
        `Credentials of kind ${row.kind} have no access token to answer${h.refreshable ? ': the refresh failed, see the credential health.' : '.'}`,
      );
    }
    if (!h.fresh)
      throw new AppError(409, 'The access token could not be refreshed; see the credential health for why.');
    return { row, token, expiresAt: h.expiresAt, refreshable: h.refreshable };
  }

  return {
    /** POST /v1/credentials/{id}/access-token: a valid token, renewed first when needed; audited. */
    async accessToken(accountId: string, id: string, actorTokenId: string | null): Promise<AccessToken> {
      const t = await validToken(accountId, id);
      // The reveal is audited before it is answered: a failed audit write fails the reveal (C9).
      await d.audit.record({ accountId, actorTokenId, action: 'credential.access_token_revealed', credentialId: id });
      return {
        credential_id: id,
        access_token: t.token,
        token_type: 'bearer',
        expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
      };
    },

    /**
     * For the proxy: when `needToken`, a valid token (renewed first, with the same refusal rules
     * as access-token); otherwise the properties with the secrets opened, for schemes that sign
     * with them. Not a reveal: nothing leaves credvault, so no audit row per call (the proxy
     * aggregates use counts).
     */
    async forProxy(accountId: string, id: string, needToken: (kind: string) => boolean): Promise<ProxyMaterial> {
      const read = await owned(accountId, id);
      if (!needToken(read.kind))
        return { row: read, props: { ...read.properties, ...d.secrets.openAll(read) }, refreshable: false };
      const t = await validToken(accountId, id, read);
      return { row: t.row, props: t.row.properties, token: t.token, refreshable: t.refreshable };
    },

    /**
     * The provider refused `refused` (a proxied 401): one renewal per credential however many
     * requests saw it (single-flight, then the lease; a request arriving after the token changed
     * finds it renewed and renews nothing). The new token, or undefined when the provider refused
     * the renewal too (its health says `error` by then).
     */
    async refreshRefused(accountId: string, id: string, refused: string): Promise<string | undefined> {
      await owned(accountId, id);
      const out = await renewOnce(id, (r) => held(r).refreshable && tokenIn(r) === refused);
      const token = out.token ?? tokenIn(out.row);
      return out.row.health_status !== 'error' && token && token !== refused ? token : undefined;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
