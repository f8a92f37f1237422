/** A token reply's refresh_token is stored only for kinds that have that field (Marketo has not). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Fakes, startFakes } from '../health/support.js';

describe.each(STORE_KINDS)('token replies on %s', (store) => {
  let fakes: Fakes;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    fakes = await startFakes();
    h = await startHarness(store, fakes.env);
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await fakes?.close();
  });

  it('does not store a refresh_token for marketo_client_credentials, and its export re-imports', async () => {
    fakes.byProvider.marketo.state.addClient('cid-rt', 'csec-rt', {
      api_user: 'u@example.com',
      refresh_token: 'rt_marketo_unexpected',
    });
    const props = {
      kind: 'marketo_client_credentials',
      munchkin_id: '123-ABC-789',
      client_id: 'cid-rt',
      client_secret: 'csec-rt',
    };
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', { properties: props });
    expect(cred.status).toBe(200);
    const token = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(token.status).toBe(200);
    const row = await h.rt.store.db
      .selectFrom('credentials')
      .select('secrets')
      .where('id', '=', cred.body.id)
      .executeTakeFirstOrThrow();
    expect(Object.keys(row.secrets as Record<string, string>)).not.toContain('refresh_token');
    const exported = await c.json<{ data: Array<Record<string, unknown>> }>(
      'GET',
      '/v1/credentials/export?include_secrets=true',
    );
    expect(exported.status).toBe(200);
    const item = exported.body.data.find(
      (d) => (d.properties as Record<string, unknown>).munchkin_id === '123-ABC-789',
    );
    expect(item?.properties).not.toHaveProperty('refresh_token');
    expect((await c.req('POST', '/v1/credentials', item)).statusCode).toBe(200);
  });
});
