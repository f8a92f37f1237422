import type { Clock } from '../lib/clock.js';
import type { OutboundHttp } from '../net/types.js';
import type { ProviderModule, OAuthAppSecrets } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import type { Provider } from '../providers/registry.js';
import type { ContextFactory } from './context.js';
import {
  type Health,
  type SchedulePolicy,
  failedHealth,
  isTransient,
  nextRoutineCheck,
  okHealth,
  pendingHealth,
} from './model.js';

export interface ImportIdentification {
  /** Non-secret properties the provider told us (e.g. Stripe's account_id). */
  learned?: Record<string, unknown>;
  /**
   * Tokens a refresh made at import (access_token, a rotated refresh_token, expires_at), to be
   * stored with the credential: the old refresh token may be dead already.
   */
  refreshed?: Record<string, string>;
  health: Health;
}

// As the runner assumes when a token reply states no lifetime (Salesforce, Stripe Connect).
const DEFAULT_TOKEN_LIFETIME_S = 3600;

export interface ImportIdentifierDeps {
  modules: Record<Provider, ProviderModule>;
  context: (http: OutboundHttp) => ContextFactory;
  http: OutboundHttp;
  clock: Clock;
  policy: SchedulePolicy;
  timeoutMs: number;
  displayName(provider: Provider): string;
}

/**
 * Asks the provider who a credential belongs to during its import (docs/kinds.md: kinds whose
 * identity would otherwise be a fingerprint), within a few seconds. Unreachable: the import
 * goes on with the fingerprint and says so; rejected: stored with health `error`.
 */
export function createImportIdentifier(d: ImportIdentifierDeps) {
  // Import answers must be quick: every provider call made here is bounded by timeoutMs.
  const http: OutboundHttp = {
    request: (req) => d.http.request({ ...req, timeoutMs: Math.min(req.timeoutMs ?? d.timeoutMs, d.timeoutMs) }),
  };
  const contextFor = d.context(http);
  const unreachable = (spec: KindSpec, reason: string) =>
    `credvault could not ask ${d.displayName(spec.provider)} who this credential belongs to at import (${reason.replace('_', ' ')}); it is identified by a fingerprint of its secret until the first successful check.`;

  /**
   * A credential holding a refresh token but no access token (an export from another system)
   * is refreshed first (issue 13 item 10): identify needs a token, and "no access token" is not
   * the provider's verdict. Kinds that keep their token outside properties are left to the first
   * check, which refreshes and stores before it identifies.
   */
  async function refreshFirst(
    spec: KindSpec,
    module: ProviderModule,
    props: Record<string, unknown>,
    app: OAuthAppSecrets | undefined,
  ) {
    const needs =
      spec.accessToken.from === 'refresh' &&
      'access_token' in spec.schema.shape &&
      props.access_token === undefined &&
      typeof props.refresh_token === 'string';
    if (!needs || !module.refresh) return undefined;
    const res = await module.refresh({ kind: spec.kind, properties: props }, contextFor(module, app));
    if (!res.ok) return res;
    const expiresAt = res.expiresAt ?? new Date(d.clock.now().getTime() + DEFAULT_TOKEN_LIFETIME_S * 1000);
    const refreshed: Record<string, string> = { access_token: res.accessToken };
    if (res.refreshToken) refreshed.refresh_token = res.refreshToken;
    if ('expires_at' in spec.schema.shape) refreshed.expires_at = expiresAt.toISOString();
    return { ok: true as const, refreshed };
  }

  return async (
    spec: KindSpec,
    given: Record<string, unknown>,
    app: OAuthAppSecrets | undefined,
  ): Promise<ImportIdentification> => {
    const module = d.modules[spec.provider];
    const now = d.clock.now();
    let props = given;
    const first = await refreshFirst(spec, module, props, app);
    if (first && !first.ok) {
      if (isTransient(first.reason)) return { health: pendingHealth(now, unreachable(spec, first.reason)) };
      return { health: failedHealth(pendingHealth(now), first, now, nextRoutineCheck(now, d.policy, null)) };
    }
    const refreshed = first?.refreshed;
    if (refreshed) props = { ...props, ...refreshed };
    const kept = refreshed ? { refreshed } : {};
    const res = await module.identify({ kind: spec.kind, properties: props }, contextFor(module, app));
    if (res.ok)
      return {
        ...kept,
        ...(res.learned ? { learned: res.learned } : {}),
        health: okHealth(now, nextRoutineCheck(now, d.policy, null), res.warning),
      };
    if (isTransient(res.reason)) {
      return { ...kept, health: pendingHealth(now, unreachable(spec, res.reason)) };
    }
    return { ...kept, health: failedHealth(pendingHealth(now), res, now, nextRoutineCheck(now, d.policy, null)) };
  };
}

export type ImportIdentifier = ReturnType<typeof createImportIdentifier>;
