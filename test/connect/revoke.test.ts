/**
 * DELETE /v1/credentials/{id}?revoke=true (docs: Connect): revoke at the provider where it has a
 * revocation endpoint, then delete; a provider failure keeps the credential unless force=true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import type { Client } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { GITHUB_KEY, type World, connectApp, fake, startWorld } from './support.js';

describe.each(STORE_KINDS)('revoke on delete on %s', (store) => {
  let w: World;
  let c: Client;
  let sfApp: string;
  beforeAll(async () => {
    w = await startWorld(store);
    c = await w.h.newAccount();
    sfApp = await connectApp(w, c, 'salesforce');
  });
  afterAll(async () => w?.close());

  let n = 0;
  async function salesforce(): Promise<{ id: string; token: string }> {
    const token = `${MARKER}-rt-revoke-${++n}`;
    fake(w, 'salesforce').state.addRefreshToken(token, { org_id: 'o' });
    const res = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: sfApp,
      properties: { kind: 'salesforce', instance_url: `https://rev${n}.my.salesforce.com`, refresh_token: token },
    });
    expect(res.status).toBe(200);
    return { id: res.body.id, token };
  }

  it('revokes the grant at the provider, then deletes', async () => {
    const { id, token } = await salesforce();
    const res = await c.json('DELETE', `/v1/credentials/${id}?revoke=true`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, deleted: true, revoked: true, revoke_note: null });
    expect(fake(w, 'salesforce').state.refreshTokens.has(token)).toBe(false);
    expect((await c.req('GET', `/v1/credentials/${id}`)).statusCode).toBe(404);
  });

  it('a provider failure keeps the credential (502, the note says why); force=true deletes anyway', async () => {
    const { id } = await salesforce();
    fake(w, 'salesforce').state.force('server_error', 'revoke');
    const kept = await c.json<{ deleted: boolean; revoked: boolean; revoke_note: string }>(
      'DELETE',
      `/v1/credentials/${id}?revoke=true`,
    );
    expect(kept.status).toBe(502);
    expect(kept.body).toMatchObject({ id, deleted: false, revoked: false });
    expect(kept.body.revoke_note).toContain('force=true');
    expect(JSON.stringify(kept.body)).not.toContain(MARKER);
    expect((await c.req('GET', `/v1/credentials/${id}`)).statusCode).toBe(200);
    fake(w, 'salesforce').state.force('server_error', 'revoke');
    const forced = await c.json('DELETE', `/v1/credentials/${id}?revoke=true&force=true`);
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ id, deleted: true, revoked: false });
    expect((await c.req('GET', `/v1/credentials/${id}`)).statusCode).toBe(404);
  });

  it('HubSpot, QuickBooks and a GitHub App installation are revoked at their endpoints', async () => {
    const hub = await connectApp(w, c, 'hubspot');
    const hubToken = `${MARKER}-hub-rt`;
    fake(w, 'hubspot').state.addRefreshToken(hubToken, {});
    const h1 = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: hub,
      properties: { kind: 'hubspot', hub_id: 31337, refresh_token: hubToken, scopes: ['oauth'] },
    });
    expect((await c.json('DELETE', `/v1/credentials/${h1.body.id}?revoke=true`)).body).toMatchObject({
      deleted: true,
      revoked: true,
    });
    expect(fake(w, 'hubspot').state.refreshTokens.has(hubToken)).toBe(false);

    const qb = await connectApp(w, c, 'quickbooks');
    const qbToken = `${MARKER}-qb-rt`;
    fake(w, 'quickbooks').state.addRefreshToken(qbToken, {});
    const q1 = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: qb,
      properties: { kind: 'quickbooks', realm_id: '123', refresh_token: qbToken },
    });
    expect((await c.json('DELETE', `/v1/credentials/${q1.body.id}?revoke=true`)).body).toMatchObject({
      deleted: true,
      revoked: true,
    });
    expect(fake(w, 'quickbooks').state.refreshTokens.has(qbToken)).toBe(false);

    const gh = await connectApp(w, c, 'github', {
      app_id: '12345',
      private_key: GITHUB_KEY.pem,
      slug: 'credvault-test',
    });
    fake(w, 'github').state.records.set('installation:8080', { login: 'acme', account_id: '1', type: 'Organization' });
    const g1 = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: gh,
      properties: { kind: 'github_app', installation_id: 8080 },
    });
    expect((await c.json('DELETE', `/v1/credentials/${g1.body.id}?revoke=true`)).body).toMatchObject({
      deleted: true,
      revoked: true,
    });
    expect(fake(w, 'github').state.records.has('installation:8080')).toBe(false);
  });

  it('a kind without a revocation endpoint is deleted and says so; without revoke the answer is unchanged', async () => {
    const at = await connectApp(w, c, 'airtable');
    const a1 = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: at,
      properties: { kind: 'airtable', refresh_token: `${MARKER}-at`, scope: 'data.records:read' },
    });
    const res = await c.json<{ revoke_note: string }>('DELETE', `/v1/credentials/${a1.body.id}?revoke=true`);
    expect(res.body).toMatchObject({ id: a1.body.id, deleted: true, revoked: false });
    expect(res.body.revoke_note).toContain('Airtable has no endpoint');
    const { id } = await salesforce();
    expect((await c.json('DELETE', `/v1/credentials/${id}`)).body).toEqual({ id, deleted: true });
    expect((await c.req('DELETE', `/v1/credentials/${id}?revoke=maybe`)).statusCode).toBe(422);
  });
});
