import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND_SPECS } from '../../src/providers/registry.js';
import { MARKER } from '../fakes/state.js';
import { CASES } from '../providers/api/cases-b.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, importCase, startFakes } from './support.js';

type Health = {
  status: string;
  notes: string[];
  reason: string | null;
  consecutive_failures: number;
  next_check_at: string | null;
  last_ok_at: string | null;
};
type Cred = { id: string; properties: Record<string, unknown>; health: Health };

describe.each(STORE_KINDS)('health checks against every provider on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    // The Auth0 case uses a custom domain (login.acme.example): the operator allows it.
    h = await startHarness(store, {
      ...fakes.env,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '1500',
      CREDVAULT_PROVIDER_HOSTS_AUTH0: 'acme.example',
    });
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  describe.each(CASES)('$provider', (pc) => {
    it('ok and learns the account id; 401 or revocation → error with an actionable note; 403 → warn; 429, 500, timeout → transient', async () => {
      const fake = fakes.byProvider[pc.provider];
      const setup = pc.seed(fake);
      // Tokens imported with a lifetime are used as they are; without one they are refreshed first.
      const oauth =
        KIND_SPECS[pc.kind].kind.endsWith('_oauth2') && setup.props.access_token !== undefined
          ? { expires_in: 3600 }
          : {};
      const id = await importCase(c, pc, setup, oauth);
      const check = async () => {
        const res = await c.json<Cred>('POST', `/v1/credentials/${id}/check`);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.body)).not.toContain(MARKER);
        return res.body;
      };

      const ok = await check();
      expect(ok.health.status, JSON.stringify(ok.health)).toBe('ok');
      expect(ok.health.consecutive_failures).toBe(0);
      expect(ok.health.last_ok_at).not.toBeNull();
      for (const [k, v] of Object.entries(pc.learned ?? {}))
        if (k in KIND_SPECS[pc.kind].schema.shape) expect(ok.properties[k]).toEqual(v);

      for (const [answer, expected] of [
        ['rate_limited', pc.rateLimited],
        ['server_error', 'provider_error'],
        ['hang', 'timeout'],
      ] as const) {
        fake.state.force(answer, pc.route);
        const t = await check();
        if (expected === 'rate_limited' || expected === 'provider_error' || expected === 'timeout') {
          expect(t.health.status, `${answer}: ${JSON.stringify(t.health)}`).toBe('ok');
          expect(t.health.reason).toBe(expected);
          expect(t.health.notes.join(' ')).toMatch(/retry/i);
          expect(new Date(t.health.next_check_at ?? 0).getTime()).toBeGreaterThan(Date.now());
        }
      }
      const stillOk = await check();
      expect(stillOk.health.status).toBe('ok');

      fake.state.force('forbidden', pc.route);
      const forbidden = await check();
      expect(forbidden.health.status).toBe('warn');
      expect(forbidden.health.notes[0]).toContain(pc.display);

      fake.state.force('unauthorized', pc.route);
      const unauthorized = await check();
      expect(unauthorized.health.status).toBe('error');
      expect(unauthorized.health.reason).toBe('unauthorized');
      expect(unauthorized.health.notes[0]).toContain(pc.display);
      expect(unauthorized.health.notes[0]?.length).toBeGreaterThan(40);

      const recovered = await check();
      expect(recovered.health.status).toBe('ok');

      // Revoked at the provider: a caller reports the 401 it got, which forces a refresh where
      // the kind has one (a cached access token may still work until then) and a check.
      pc.revoke(fake, setup);
      if (typeof setup.props.refresh_token === 'string') fake.state.revoke(setup.props.refresh_token);
      const reported = await c.json<Cred>('POST', `/v1/credentials/${id}/health-reports`, {
        status_code: 401,
        detail: 'Unauthorized',
      });
      expect(reported.status).toBe(200);
      const revoked = reported.body;
      expect(revoked.health.status).toBe('error');
      expect(['unauthorized', 'invalid_grant', 'not_found']).toContain(revoked.health.reason);
      expect(revoked.health.notes[0]).toMatch(/import|re-?authori[sz]e|reinstall|reconnect|generate|create|check/i);
    });
  });

  it('no secret reaches a log line or an audit row', async () => {
    for (const line of h.logs) expect(line).not.toContain(MARKER);
    const audit = await h.rt.store.db.selectFrom('audit_events').selectAll().execute();
    expect(JSON.stringify(audit)).not.toContain(MARKER);
  });
});
