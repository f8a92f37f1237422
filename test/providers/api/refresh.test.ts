/** refresh() for every refreshable kind: new tokens, rotation, reuse, missing refresh_token, failures. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDER_MODULES } from '../../../src/providers/api/index.js';
import type { RefreshResult, RefreshSuccess } from '../../../src/providers/module.js';
import { contextFor } from '../../fakes/harness.js';
import { startFakeProvider, type FakeProvider } from '../../fakes/server.js';
import { MARKER } from '../../fakes/state.js';
import { REFRESH_CASES } from './cases-b.js';
import { expectActionable, expectFailure, type Setup } from './case-types.js';

describe.each(REFRESH_CASES)('$name refresh()', (c) => {
  let fake: FakeProvider;
  let setup: Setup;

  beforeEach(async () => {
    fake = await startFakeProvider(c.provider);
    setup = c.seed(fake);
  });
  afterEach(async () => {
    await fake.close();
  });

  async function refresh(props: Record<string, unknown> = setup.props, timeoutMs?: number): Promise<RefreshResult> {
    const h = contextFor(fake, {
      ...(setup.oauthApp ? { oauthApp: setup.oauthApp } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const fn = PROVIDER_MODULES[c.provider].refresh;
    if (!fn) throw new Error(`${c.provider} has no refresh()`);
    const result = await fn({ kind: c.kind, properties: props }, h.ctx);
    for (const r of h.http.sent) expect(r.url).not.toContain(MARKER);
    if (!result.ok) expect(result.note).not.toContain(MARKER);
    return result;
  }

  function expectOk(r: RefreshResult): RefreshSuccess {
    expect(r.ok).toBe(true);
    if (!r.ok) throw new Error(r.note);
    return r;
  }

  it('returns a new access token the provider accepts, with its expiry', async () => {
    const before = Date.now();
    const r = expectOk(await refresh());
    expect(fake.state.accessTokens.has(r.accessToken)).toBe(true);
    expect(fake.calls.count(c.route)).toBe(1);
    if (c.expires) {
      expect(r.expiresAt?.getTime()).toBeGreaterThan(before + 60_000);
    } else {
      expect(r.expiresAt).toBeUndefined();
    }
  });

  it('maps a 5xx from the token endpoint to provider_error', async () => {
    fake.state.force('server_error', c.route);
    const f = expectFailure(await refresh());
    expect(f.reason).toBe('provider_error');
    expectActionable(f, c.display);
  });

  it('maps a hung token endpoint to timeout', async () => {
    fake.state.force('hang', c.route);
    const f = expectFailure(await refresh(setup.props, 150));
    expect(f.reason).toBe('timeout');
  });

  const field = c.refreshField;
  if (field === undefined) return;

  it('returns the rotated refresh token, and the reused old one is refused with invalid_grant', async () => {
    fake.state.rotate = true;
    const old = String(setup.props[field]);
    const first = expectOk(await refresh());
    expect(first.refreshToken).toBeDefined();
    expect(first.refreshToken).not.toBe(old);
    const reused = expectFailure(await refresh());
    expect(reused.reason).toBe('invalid_grant');
    expectActionable(reused, c.display);
    const next = expectOk(await refresh({ ...setup.props, [field]: first.refreshToken }));
    expect(next.refreshToken).toBeDefined();
  });

  it('leaves refreshToken undefined when the reply has none', async () => {
    fake.state.rotate = false;
    fake.state.includeRefreshToken = false;
    const r = expectOk(await refresh());
    expect(r.refreshToken).toBeUndefined();
  });

  it('leaves refreshToken undefined when the same refresh token comes back', async () => {
    fake.state.rotate = false;
    fake.state.includeRefreshToken = true;
    const r = expectOk(await refresh());
    expect(r.refreshToken).toBeUndefined();
  });

  it('maps a revoked refresh token to invalid_grant with a note a person can act on', async () => {
    fake.state.revoke(String(setup.props[field]));
    const f = expectFailure(await refresh());
    expect(f.reason).toBe('invalid_grant');
    expectActionable(f, c.display);
  });

  it('is misconfigured without an OAuth app, and calls nobody', async () => {
    const h = contextFor(fake);
    const fn = PROVIDER_MODULES[c.provider].refresh;
    const f = expectFailure(
      await (fn ? fn({ kind: c.kind, properties: setup.props }, h.ctx) : Promise.reject(new Error('no refresh'))),
    );
    expect(f.reason).toBe('misconfigured');
    expect(fake.calls.count()).toBe(0);
  });
});
