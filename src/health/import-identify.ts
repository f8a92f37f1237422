import type { Clock } from '../lib/clock.js';
import type { OutboundHttp } from '../net/types.js';
import type { ProviderModule, OAuthAppSecrets } from '../providers/module.js';
import type { KindSpec } from '../providers/types.js';
import type { Provider } from '../providers/registry.js';
import type { ContextFactory } from './context.js';
import { type Health, type SchedulePolicy, failedHealth, isTransient, nextRoutineCheck, okHealth, pendingHealth } from './model.js';

export interface ImportIdentification {
  /** Non-secret properties the provider told us (e.g. Stripe's account_id). */
  learned?: Record<string, unknown>;
  health: Health;
}

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
  const http: OutboundHttp = { request: (req) => d.http.request({ ...req, timeoutMs: Math.min(req.timeoutMs ?? d.timeoutMs, d.timeoutMs) }) };
  const contextFor = d.context(http);
  return async (spec: KindSpec, props: Record<string, unknown>, app: OAuthAppSecrets | undefined): Promise<ImportIdentification> => {
    const module = d.modules[spec.provider];
    const now = d.clock.now();
    const res = await module.identify({ kind: spec.kind, properties: props }, contextFor(module, app));
    if (res.ok) return { ...(res.learned ? { learned: res.learned } : {}), health: okHealth(now, nextRoutineCheck(now, d.policy, null), res.warning) };
    if (isTransient(res.reason)) {
      return {
        health: pendingHealth(
          now,
          `credvault could not ask ${d.displayName(spec.provider)} who this credential belongs to at import (${res.reason.replace('_', ' ')}); it is identified by a fingerprint of its secret until the first successful check.`,
        ),
      };
    }
    return { health: failedHealth(pendingHealth(now), res, now, nextRoutineCheck(now, d.policy, null)) };
  };
}

export type ImportIdentifier = ReturnType<typeof createImportIdentifier>;
