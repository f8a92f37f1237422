/** health-reports has a floor: reports in a loop do not force a provider call each. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider } from '../fakes/server.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from '../health/support.js';

describe.each(STORE_KINDS)('health-reports floor on %s', (store) => {
  let fakes: Fakes;
  let auth0: FakeProvider;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    auth0 = fakes.byProvider.auth0;
    h = await startHarness(store, fakes.env);
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  it('forces one refresh for a burst of reports, and audits every report', async () => {
    auth0.state.addClient('floor-client', 'floor-secret', { tenant: 'acme.us.auth0.com', scope: 'read:users' });
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: {
        kind: 'auth0_client_credentials',
        domain: 'acme.us.auth0.com',
        client_id: 'floor-client',
        client_secret: 'floor-secret',
      },
    });
    expect(cred.status).toBe(200);
    const before = auth0.calls.count('token');
    const first = await c.req('POST', `/v1/credentials/${cred.body.id}/health-reports`, { status_code: 401 });
    expect(first.statusCode).toBe(200);
    const afterFirst = auth0.calls.count('token');
    expect(afterFirst).toBeGreaterThan(before);
    for (let i = 0; i < 10; i++) {
      expect(
        (await c.req('POST', `/v1/credentials/${cred.body.id}/health-reports`, { status_code: 401 })).statusCode,
      ).toBe(200);
    }
    expect(auth0.calls.count('token')).toBe(afterFirst);
    const audit = await c.json<{ data: Array<{ action: string; credential_id: string | null }> }>(
      'GET',
      '/v1/audit-events?limit=100',
    );
    expect(
      audit.body.data.filter((e) => e.action === 'credential.health_reported' && e.credential_id === cred.body.id),
    ).toHaveLength(11);
  });
});
