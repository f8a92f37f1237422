import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthApp } from '../support/api.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('ciphertext moved to another row or account on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  /** Overwrites one credential's stored envelopes with another's, as an attacker with database access would. */
  async function copySecrets(fromId: string, toId: string): Promise<void> {
    const db = h.rt.store.db;
    const src = await db.selectFrom('credentials').select('secrets').where('id', '=', fromId).executeTakeFirstOrThrow();
    await db
      .updateTable('credentials')
      .set({ secrets: JSON.stringify(src.secrets) })
      .where('id', '=', toId)
      .execute();
  }

  it('an OAuth app secret copied into another account fails to decrypt: generic 500, logged, service goes on', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const appA = await createOAuthApp(a, 'stripe', { client_secret: 'secret-of-account-a' });
    const appB = await createOAuthApp(b, 'stripe', { client_secret: 'secret-of-account-b' });
    const db = h.rt.store.db;
    const src = await db
      .selectFrom('oauth_apps')
      .select('client_secret')
      .where('id', '=', appA)
      .executeTakeFirstOrThrow();
    await db.updateTable('oauth_apps').set({ client_secret: src.client_secret }).where('id', '=', appB).execute();
    const logsBefore = h.logs.length;
    const res = await b.req('GET', '/v1/oauth-apps?truncate_secrets=false');
    expect(res.statusCode).toBe(500);
    const body = res.json() as { summary: string; request_id: string };
    expect(Object.keys(body).sort()).toEqual(['request_id', 'summary']);
    expect(res.body).not.toContain('secret-of-account-a');
    expect(res.body).not.toMatch(/at .*\.ts/);
    const logged = h.logs.slice(logsBefore).join('');
    expect(logged).toContain(body.request_id);
    expect(logged).toContain('DecryptError');
    expect(logged).not.toContain('secret-of-account-a');
    // The original row still decrypts and the service keeps serving.
    const okA = await a.json<{ data: Array<{ client_secret: string }> }>(
      'GET',
      '/v1/oauth-apps?truncate_secrets=false',
    );
    expect(okA.body.data[0]?.client_secret).toBe('secret-of-account-a');
    expect((await b.req('GET', '/v1/credentials')).statusCode).toBe(200);
  });

  it('a credential secret copied into another row of the same account fails to decrypt', async () => {
    const a = await h.newAccount();
    const app = await createOAuthApp(a, 'salesforce');
    const one = await a.json<{ id: string; properties: Record<string, unknown> }>('POST', '/v1/credentials', {
      oauth_app_id: app,
      properties: { kind: 'salesforce', instance_url: 'https://one.my.salesforce.com', refresh_token: 'rt-one' },
    });
    const two = await a.json<{ id: string; properties: Record<string, unknown> }>('POST', '/v1/credentials', {
      oauth_app_id: app,
      properties: { kind: 'salesforce', instance_url: 'https://two.my.salesforce.com', refresh_token: 'rt-two' },
    });
    await copySecrets(one.body.id, two.body.id);
    // Sending the masked properties back makes the service open the stored secret.
    const res = await a.req('POST', '/v1/credentials', { oauth_app_id: app, properties: two.body.properties });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('rt-one');
    const fine = await a.req('POST', '/v1/credentials', { oauth_app_id: app, properties: one.body.properties });
    expect(fine.statusCode).toBe(200);
  });

  it('a token revealed from its own row is not answered for another row its ciphertext was copied into', async () => {
    const a = await h.newAccount();
    const one = await a.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.marker-one-0123456789' },
    });
    const two = await a.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.marker-two-0123456789' },
    });
    // Opened once for its own place: the plaintext is now among the recently opened tokens.
    const first = await a.json<{ access_token: string }>('POST', `/v1/credentials/${one.body.id}/access-token`);
    expect(first.body.access_token).toBe('SG.marker-one-0123456789');
    await copySecrets(one.body.id, two.body.id);
    const moved = await a.req('POST', `/v1/credentials/${two.body.id}/access-token`);
    expect(moved.statusCode).toBe(500);
    expect(moved.body).not.toContain('marker-one');
    const again = await a.json<{ access_token: string }>('POST', `/v1/credentials/${one.body.id}/access-token`);
    expect(again.body.access_token).toBe('SG.marker-one-0123456789');
  });
});
