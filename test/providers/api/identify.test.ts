/** identify() for all 15 providers against their fakes: one table, shared expectations. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROVIDER_MODULES } from '../../../src/providers/api/index.js';
import type { IdentifyResult } from '../../../src/providers/module.js';
import { contextFor, type Harness } from '../../fakes/harness.js';
import { startFakeProvider, type FakeProvider } from '../../fakes/server.js';
import type { Forced } from '../../fakes/state.js';
import { CASES } from './cases-b.js';
import { expectActionable, expectFailure, expectNoLeak, type Setup } from './case-types.js';

describe.each(CASES)('$provider identify()', (c) => {
  let fake: FakeProvider;
  let setup: Setup;

  beforeEach(async () => {
    fake = await startFakeProvider(c.provider);
    setup = c.seed(fake);
  });
  afterEach(async () => {
    await fake.close();
  });

  async function identify(opts: { timeoutMs?: number } = {}): Promise<{ h: Harness; result: IdentifyResult }> {
    const h = contextFor(fake, { ...(setup.oauthApp ? { oauthApp: setup.oauthApp } : {}), ...opts });
    const result = await PROVIDER_MODULES[c.provider].identify({ kind: c.kind, properties: setup.props }, h.ctx);
    expectNoLeak(h, result);
    return { h, result };
  }

  async function forced(answer: Forced) {
    fake.state.force(answer, c.route);
    const { result } = await identify();
    return expectFailure(result);
  }

  it('answers ok with the account id and learned properties for a working credential', async () => {
    const { result } = await identify();
    expect(result).toMatchObject({ ok: true, accountId: c.accountId });
    if (!result.ok) return;
    if (c.learned) expect(result.learned).toEqual(c.learned);
    if (c.scopes) expect(result.scopes).toEqual(c.scopes);
    expect(result.warning).toBeUndefined();
    expect(fake.calls.count(c.route)).toBe(1);
  });

  it(`maps a revoked credential to ${c.revokedReason} with a note a person can act on`, async () => {
    c.revoke(fake, setup);
    const f = expectFailure((await identify()).result);
    expect(f.reason).toBe(c.revokedReason);
    expectActionable(f, c.display);
  });

  it("maps the provider's 401 answer to unauthorized", async () => {
    const f = await forced('unauthorized');
    expect(f.reason).toBe('unauthorized');
    expectActionable(f, c.display);
  });

  it(`maps 403 to ${c.forbidden}`, async () => {
    const f = await forced('forbidden');
    expect(f.reason).toBe(c.forbidden);
    expectActionable(f, c.display);
  });

  it(`maps 404 to ${c.notFound}`, async () => {
    const f = await forced('not_found');
    expect(f.reason).toBe(c.notFound);
    expectActionable(f, c.display);
  });

  it(`maps a rate limit to ${c.rateLimited} with the wait the provider asked for`, async () => {
    const f = await forced('rate_limited');
    expect(f.reason).toBe(c.rateLimited);
    if (Array.isArray(c.retryAfter)) {
      expect(f.retryAfterSeconds).toBeGreaterThanOrEqual(c.retryAfter[0]);
      expect(f.retryAfterSeconds).toBeLessThanOrEqual(c.retryAfter[1]);
    } else {
      expect(f.retryAfterSeconds).toBe(c.retryAfter);
    }
    expectActionable(f, c.display);
  });

  it('maps a 5xx to provider_error', async () => {
    const f = await forced('server_error');
    expect(f.reason).toBe('provider_error');
    expect(f.status).toBeGreaterThanOrEqual(500);
    expectActionable(f, c.display);
  });

  it('maps an unparseable 2xx to invalid_response', async () => {
    const f = await forced('garbage');
    expect(f.reason).toBe('invalid_response');
    expectActionable(f, c.display);
  });

  it('maps a hung server to timeout within the short timeout', async () => {
    fake.state.force('hang', c.route);
    const started = Date.now();
    const f = expectFailure((await identify({ timeoutMs: 150 })).result);
    expect(f.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1500);
    expectActionable(f, c.display);
  });
});
