/** The shape of one provider's row in the shared identify/refresh tables. */
import { expect } from 'vitest';
import type { HealthReason, OAuthAppSecrets, ProviderFailure } from '../../../src/providers/module.js';
import type { Kind, Provider } from '../../../src/providers/registry.js';
import type { Harness } from '../../fakes/harness.js';
import type { FakeProvider } from '../../fakes/server.js';
import { MARKER } from '../../fakes/state.js';

export interface Setup {
  props: Record<string, unknown>;
  oauthApp?: OAuthAppSecrets;
}

export interface ProviderCase {
  provider: Provider;
  kind: Kind;
  /** The provider's name as notes spell it. */
  display: string;
  /** Seeds the fake with a working credential (secrets carry MARKER) and returns it. */
  seed(fake: FakeProvider): Setup;
  /** Invalidates the credential the way the provider would (revoked token, deleted key...). */
  revoke(fake: FakeProvider, setup: Setup): void;
  revokedReason: HealthReason;
  /** The fake route identify() ends on; forced answers target it. */
  route: string;
  accountId: string;
  learned?: Record<string, unknown>;
  scopes?: string[];
  forbidden: 'forbidden' | 'missing_scope';
  /** What a forced 404 becomes. */
  notFound: HealthReason;
  /** What a forced rate limit becomes (Salesforce and NetSuite answer 403/429 with codes). */
  rateLimited: HealthReason;
  /** Expected retryAfterSeconds: an exact number, a [min, max] range (reset headers), or none. */
  retryAfter: number | [number, number] | undefined;
}

export interface RefreshCase {
  name: string;
  display: string;
  provider: Provider;
  /** The fake route refresh() calls. */
  route: string;
  kind: Kind;
  seed(fake: FakeProvider): Setup;
  /** The field holding the refresh token in `props`, when the kind has one. */
  refreshField?: string;
  /** Whether the reply states an expiry (expires_in or expires_at). */
  expires: boolean;
}

/** A note names the provider, says what to do, and leaks nothing. */
export function expectActionable(f: ProviderFailure, display: string): void {
  expect(f.note).toContain(display);
  expect(f.note.length).toBeGreaterThan(40);
  expect(f.note).toMatch(
    /import|re-?authori[sz]e|reinstall|reconnect|check|create|generate|give|add|allow|grant|ask|retry|backs off|wait/i,
  );
  expect(f.note).not.toContain(MARKER);
  expect(f.note).not.toMatch(/\{|\}|Bearer |Basic /);
}

/** No request put a secret in its URL; no result carries one. */
export function expectNoLeak(h: Harness, result: unknown): void {
  for (const r of h.http.sent) expect(r.url).not.toContain(MARKER);
  expect(JSON.stringify(result)).not.toContain(MARKER);
}

export function expectFailure(result: { ok: boolean }): ProviderFailure {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('expected a failure');
  return result as ProviderFailure;
}

export const secret = (label: string): string => `${MARKER}-${label}`;
