/** Audit events for deletions and OAuth app credential changes: who, what, never a value. Both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Event = {
  action: string;
  actor_token_id: string | null;
  credential_id: string | null;
  oauth_app_id: string | null;
  detail: Record<string, unknown>;
};

describe.each(STORE_KINDS)('audit events for changes on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  it('a deleted credential leaves one credential.deleted event naming the token that did it', async () => {
    const c = await h.newAccount();
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_audit`, account_id: 'acct_audit1' },
    });
    const tokens = await c.json<{ data: Array<{ id: string }> }>('GET', '/v1/api-tokens');
    expect((await c.req('DELETE', `/v1/credentials/${cred.body.id}`)).statusCode).toBe(200);
    expect((await c.req('DELETE', `/v1/credentials/${cred.body.id}`)).statusCode).toBe(404);
    const events = (await c.json<{ data: Event[] }>('GET', '/v1/audit-events')).body.data.filter(
      (e) => e.action === 'credential.deleted',
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      credential_id: cred.body.id,
      detail: { provider: 'stripe', kind: 'stripe_key' },
    });
    expect(tokens.body.data.map((t) => t.id)).toContain(events[0]?.actor_token_id);
    // Another account cannot delete it, and leaves no event in either account.
    const other = await h.newAccount();
    const mine = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_audit2`, account_id: 'acct_audit2' },
    });
    expect((await other.req('DELETE', `/v1/credentials/${mine.body.id}`)).statusCode).toBe(404);
    expect((await other.json<{ data: Event[] }>('GET', '/v1/audit-events')).body.data).toEqual([]);
  });

  it('OAuth apps: changing the client secret or settings and deleting are audited by name, never by value', async () => {
    const c = await h.newAccount();
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'gh',
      provider: 'github',
      client_id: 'Iv1.audit',
      client_secret: `${MARKER}-cs-1`,
      settings: { app_id: '42', private_key: `${MARKER}-pem` },
    });
    expect((await c.req('PATCH', `/v1/oauth-apps/${app.body.id}`, { name: 'renamed' })).statusCode).toBe(200);
    expect(
      (await c.req('PATCH', `/v1/oauth-apps/${app.body.id}`, { client_secret: `${MARKER}-cs-2` })).statusCode,
    ).toBe(200);
    expect(
      (
        await c.req('PATCH', `/v1/oauth-apps/${app.body.id}`, {
          settings: { app_id: '42', private_key: `${MARKER}-pem-2` },
        })
      ).statusCode,
    ).toBe(200);
    // In use: 409, nothing deleted, nothing audited as deleted.
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: app.body.id,
      properties: { kind: 'github_app', installation_id: 7 },
    });
    expect((await c.req('DELETE', `/v1/oauth-apps/${app.body.id}`)).statusCode).toBe(409);
    expect((await c.req('DELETE', `/v1/credentials/${cred.body.id}`)).statusCode).toBe(200);
    expect((await c.req('DELETE', `/v1/oauth-apps/${app.body.id}`)).statusCode).toBe(200);

    const all = await c.json<{ data: Event[] }>('GET', '/v1/audit-events');
    const appEvents = all.body.data.filter((e) => e.oauth_app_id === app.body.id).reverse();
    expect(appEvents.map((e) => [e.action, e.detail])).toEqual([
      ['oauth_app.credentials_changed', { fields: ['client_secret'] }],
      ['oauth_app.credentials_changed', { fields: ['settings.app_id', 'settings.private_key'] }],
      ['oauth_app.deleted', { provider: 'github', client_id: 'Iv1.audit' }],
    ]);
    expect(JSON.stringify(all.body)).not.toContain(MARKER);
  });
});
