import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { ProviderModule } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import type { Provider } from '../providers/registry.js';
import { type Runner, canRefresh, currentToken } from './runner.js';
import type { CredentialSecrets } from './secrets.js';
import { readHealth } from './model.js';
import type { HealthStore, WorkRow } from './store.js';

export interface HealthServiceDeps {
  store: HealthStore;
  runner: Runner;
  secrets: CredentialSecrets;
  audit: AuditService;
  clock: Clock;
  modules: Record<Provider, ProviderModule>;
  spec(kind: string): KindSpec | undefined;
  nodeId: string;
  leaseMs: number;
  refreshMarginSeconds: number;
  /** Wakes the scheduler (a credential became due). */
  wake?: () => void;
}

export interface AccessToken {
  credential_id: string;
  access_token: string;
  token_type: 'bearer';
  expires_at: string | null;
}

/** How long a refused credential answers 409 before access-token asks the provider again. */
const RETRY_REFUSED_AFTER_MS = 60_000;
/** Reports of one credential trigger provider work (a check, a forced refresh) at most this often per node. */
export const REPORT_FLOOR_MS = 30_000;

/** What the proxy needs to authenticate one call. */
export interface ProxyMaterial {
  row: WorkRow;
  plain: Record<string, string>;
  token?: string;
  /** The token can be renewed (OAuth refresh or mint): a 401 is worth one refresh. */
  refreshable: boolean;
}

const LAST_OK_EVERY_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createHealthService(d: HealthServiceDeps) {
  // In-process coalescing on top of the database lease: one refresh per credential per process.
  const inflight = new Map<string, Promise<WorkRow>>();
  // When a report last triggered provider work, per credential (REPORT_FLOOR_MS).
  const reportWorkAt = new Map<string, number>();

  async function owned(accountId: string, id: string): Promise<WorkRow> {
    if (!isUuid(id)) throw new NotFoundError('credential');
    const row = await d.store.get(id);
    if (!row || row.account_id !== accountId) throw new NotFoundError('credential');
    return row;
  }

  /** Takes the lease, waiting while another worker (here or on another node) holds it. */
  async function withLease(
    id: string,
    fn: (row: WorkRow) => Promise<WorkRow>,
    stillNeeded: (row: WorkRow) => boolean,
  ): Promise<WorkRow> {
    const deadline = Date.now() + d.leaseMs + 5000;
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      const leased = await d.store.acquire(id, d.nodeId, d.leaseMs);
      if (leased) {
        if (!stillNeeded(leased)) {
          await d.store.release(id, d.nodeId);
          return leased;
        }
        return fn(leased);
      }
      const row = await d.store.get(id);
      if (!row) throw new NotFoundError('credential');
      if (!stillNeeded(row)) return row;
      if (Date.now() > deadline)
        throw new AppError(503, 'Another worker is still busy with this credential; retry shortly.', {
          'retry-after': '2',
        });
      await sleep(wait);
    }
  }

  function coalesce(key: string, run: () => Promise<WorkRow>): Promise<WorkRow> {
    const existing = inflight.get(key);
    if (existing) return existing;
    const p = run().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  function tokenOf(row: WorkRow): {
    token: string | undefined;
    expiresAt: Date | null;
    fresh: boolean;
    refreshable: boolean;
    none?: string;
    plain?: Record<string, string>;
  } {
    const spec = d.spec(row.kind);
    const module = d.modules[row.provider as Provider];
    if (!spec || !module) return { token: undefined, expiresAt: null, fresh: false, refreshable: false };
    const source = spec.accessToken;
    if (source.from === 'none')
      return { token: undefined, expiresAt: null, fresh: false, refreshable: false, none: source.why };
    const plain = d.secrets.openAll(row);
    const refreshable = canRefresh(spec, plain, module);
    if (!refreshable) {
      // An API key, or an OAuth token that cannot be renewed (no refresh_token): answered as stored.
      return {
        token: spec.tokenField === null ? undefined : plain[spec.tokenField],
        expiresAt: null,
        fresh: true,
        refreshable,
        plain,
      };
    }
    const { token, expiresAt } = currentToken(row, plain, d.secrets.openCached(row), spec);
    const fresh =
      !!token && !!expiresAt && expiresAt.getTime() - d.refreshMarginSeconds * 1000 > d.clock.now().getTime();
    return { token, expiresAt, fresh, refreshable, plain };
  }

  /** A usable token of the credential (refreshed first when due), with the refusal rules of access-token. */
  async function validToken(accountId: string, id: string, read?: WorkRow) {
    let row = read ?? (await owned(accountId, id));
    let t = tokenOf(row);
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
    if (t.refreshable && row.health_status === 'error') {
      const h = readHealth(row.health, d.clock.now());
      const at = Date.parse(h.checked_at ?? h.time);
      if (d.clock.now().getTime() - at < RETRY_REFUSED_AFTER_MS) throw refusal(row);
    }
    if (t.refreshable && (!t.fresh || row.health_status === 'error')) {
      // A refresh that works takes the credential out of `error` (runner), so still `error`
      // afterwards means the provider refused again.
      row = await coalesce(`refresh:${id}`, () =>
        withLease(
          id,
          (leased) => d.runner.work(leased, { identify: false, forceRefresh: true }),
          (r) => !tokenOf(r).fresh || r.health_status === 'error',
        ),
      );
      t = tokenOf(row);
      if (row.health_status === 'error') throw refusal(row);
    }
    // An API key (nothing to renew) the provider refused: 409 as well, never answered as if it worked.
    if (!t.refreshable && row.health_status === 'error') throw refusal(row);
    if (t.none !== undefined)
      throw new AppError(422, `Credentials of kind ${row.kind} have no access token: ${t.none}`);
    if (!t.token) {
      throw new AppError(
        422,
        `Credentials of kind ${row.kind} have no access token to answer${t.refreshable ? ': the refresh failed, see the credential health.' : '.'}`,
      );
    }
    if (!t.fresh)
      throw new AppError(409, 'The access token could not be refreshed; see the credential health for why.');
    return { row, t };
  }

  const lastOk = new Map<string, number>();

  return {
    /** POST /v1/credentials/{id}/check: refresh when due, then ask the provider; answers the new state. */
    async checkNow(accountId: string, id: string): Promise<WorkRow> {
      await owned(accountId, id);
      return coalesce(`check:${id}`, () =>
        withLease(
          id,
          (row) => d.runner.work(row, { identify: true }),
          () => true,
        ),
      );
    },

    /** A caller saw the provider refuse this credential: check at once. */
    async report(accountId: string, id: string, statusCode: number, actorTokenId: string | null): Promise<WorkRow> {
      const row = await owned(accountId, id);
      await d.audit.record({
        accountId,
        actorTokenId,
        action: 'credential.health_reported',
        credentialId: id,
        detail: { status_code: statusCode },
      });
      // A floor on the provider work reports trigger (a forced refresh each): a caller reporting
      // in a loop gets the current state instead of hammering the provider's token endpoint.
      const now = d.clock.now().getTime();
      const last = reportWorkAt.get(id);
      if (last !== undefined && now - last < REPORT_FLOOR_MS) return row;
      if (reportWorkAt.size > 100_000) reportWorkAt.clear();
      reportWorkAt.set(id, now);
      return coalesce(`check:${id}`, () =>
        withLease(
          id,
          (row) => d.runner.work(row, { identify: true, forceRefresh: statusCode === 401 }),
          () => true,
        ),
      );
    },

    /** POST /v1/credentials/{id}/access-token: a valid token, refreshed first when needed; audited. */
    async accessToken(accountId: string, id: string, actorTokenId: string | null): Promise<AccessToken> {
      const { row, t } = await validToken(accountId, id);
      if (!t.token) throw new AppError(422, `Credentials of kind ${row.kind} have no access token to answer.`);
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
     * For the proxy: the row, its secrets in plaintext and, when `needToken`, a valid token
     * (refreshed or minted first, with the same refusal rules as access-token). Not a reveal:
     * nothing leaves credvault, so no audit row per call (the proxy aggregates use counts).
     */
    async forProxy(accountId: string, id: string, needToken: (kind: string) => boolean): Promise<ProxyMaterial> {
      const read = await owned(accountId, id);
      if (!needToken(read.kind)) return { row: read, plain: d.secrets.openAll(read), refreshable: false };
      const { row, t } = await validToken(accountId, id, read);
      if (!t.token) throw new AppError(422, `Credentials of kind ${row.kind} have no access token to use.`);
      return { row, plain: t.plain ?? d.secrets.openAll(row), token: t.token, refreshable: t.refreshable };
    },

    /**
     * The provider refused `refused` (a proxied 401): one refresh per credential however many
     * requests saw it (in-process coalescing, then the lease; a request arriving after the token
     * changed finds it renewed and refreshes nothing). The new token, or undefined when the
     * provider refused the refresh too (the runner has recorded `error` by then).
     */
    async refreshRefused(accountId: string, id: string, refused: string): Promise<string | undefined> {
      await owned(accountId, id);
      const row = await coalesce(`refresh:${id}`, () =>
        withLease(
          id,
          (leased) => d.runner.work(leased, { identify: false, forceRefresh: true }),
          (r) => tokenOf(r).token === refused,
        ),
      );
      const t = tokenOf(row);
      return row.health_status !== 'error' && t.token && t.token !== refused ? t.token : undefined;
    },

    /** A proxied answer proved the credential works: `last_ok_at`, at most once a minute per credential. */
    async noteWorked(id: string): Promise<void> {
      const now = d.clock.now();
      const last = lastOk.get(id);
      if (last !== undefined && now.getTime() - last < LAST_OK_EVERY_MS) return;
      if (lastOk.size > 10_000) lastOk.clear();
      lastOk.set(id, now.getTime());
      await d.store.noteLastOk(id, now);
    },

    /** Called after an import: the credential is due now, and the scheduler is woken. */
    async scheduleSoon(id: string): Promise<void> {
      await d.store.dueNow(id);
      d.wake?.();
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
