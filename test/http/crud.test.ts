import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthApp } from '../support/api.js';
import { type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Cred = {
  id: string;
  name: string | null;
  kind: string;
  metadata: Record<string, unknown>;
  properties: Record<string, unknown>;
  updated_at: string;
  health: { status: string };
};
type App = {
  id: string;
  client_secret: string;
  settings: Record<string, unknown>;
  metadata: Record<string, unknown>;
  name: string;
};
type Page<T> = { data: T[]; next_cursor: string | null };

describe.each(STORE_KINDS)('credentials and OAuth apps CRUD on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  it('lists newest first with cursor pagination covering every credential once', async () => {
    const c = await h.newAccount();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await c.json<Cred>('POST', '/v1/credentials', {
        properties: { kind: 'sendgrid_key', api_key: `SG.page-${i}` },
      });
      ids.push(r.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/credentials?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { status: number; body: Page<Cred> } = await c.json<Page<Cred>>('GET', url);
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.data.map((d) => d.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await c.req('GET', '/v1/credentials?cursor=garbage')).statusCode).toBe(422);
  });

  it('filters by provider, kind (aliases too), oauth_app_id, health.status and metadata containment', async () => {
    const c = await h.newAccount();
    const hub = await createOAuthApp(c, 'hubspot');
    await c.json('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: 'sk_test_filter_1' },
      metadata: { custom_property: 42, team: 'a' },
    });
    await c.json('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.filter' },
      metadata: { custom_property: 43 },
    });
    await c.json('POST', '/v1/credentials', {
      oauth_app_id: hub,
      properties: { kind: 'hubspot', hub_id: 9, refresh_token: 'r', scopes: [] },
      metadata: { nested: { a: [1, 2] } },
    });
    const count = async (q: string) => (await c.json<Page<Cred>>('GET', `/v1/credentials?${q}`)).body.data.length;
    expect(await count('provider=stripe')).toBe(1);
    expect(await count('kind=hubspot')).toBe(1);
    expect(await count('kind=hubspot_oauth2')).toBe(1);
    expect(await count(`oauth_app_id=${hub}`)).toBe(1);
    expect(await count('health.status=pending')).toBe(3);
    expect(await count('health.status=ok')).toBe(0);
    expect(await count(`metadata=${encodeURIComponent('{"custom_property":42}')}`)).toBe(1);
    expect(await count(`metadata=${encodeURIComponent('{"nested":{"a":[2]}}')}`)).toBe(1);
    expect(await count(`metadata=${encodeURIComponent('{}')}`)).toBe(3);
    expect((await c.req('GET', '/v1/credentials?metadata=notjson')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/credentials?metadata=[1]')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/credentials?health.status=broken')).statusCode).toBe(422);
    expect((await c.req('GET', '/v1/credentials?kind=nope')).statusCode).toBe(422);
  });

  it('name search: a case-insensitive substring of the name, wildcards taken literally, other accounts unseen', async () => {
    const c = await h.newAccount();
    const other = await h.newAccount();
    const names = ['Acme Billing', 'ACME payroll', 'Globex', '50% off_sale', null];
    const ids = new Map<string | null, string>();
    for (const [i, name] of names.entries()) {
      const r = await c.json<Cred>('POST', '/v1/credentials', {
        properties: { kind: 'sendgrid_key', api_key: `SG.search-${i}` },
        ...(name === null ? {} : { name }),
      });
      expect(r.status).toBe(200);
      ids.set(name, r.body.id);
    }
    await other.json('POST', '/v1/credentials', {
      name: 'Acme elsewhere',
      properties: { kind: 'sendgrid_key', api_key: 'SG.x' },
    });
    const found = async (q: string) =>
      (await c.json<Page<Cred>>('GET', `/v1/credentials?${q}`)).body.data.map((d) => d.name).sort();
    expect(await found('name=acme')).toEqual(['ACME payroll', 'Acme Billing']);
    expect(await found('name=PAYROLL')).toEqual(['ACME payroll']);
    expect(await found(`name=${encodeURIComponent('%')}`)).toEqual(['50% off_sale']);
    expect(await found('name=_')).toEqual(['50% off_sale']);
    expect(await found('name=nobody')).toEqual([]);
    // Combined with the other filters and paged like any list.
    expect(await found('name=acme&provider=sendgrid')).toEqual(['ACME payroll', 'Acme Billing']);
    const first = await c.json<Page<Cred>>('GET', '/v1/credentials?name=acme&limit=1');
    expect(first.body.data.map((d) => d.id)).toEqual([ids.get('ACME payroll')]);
    const second = await c.json<Page<Cred>>(
      'GET',
      `/v1/credentials?name=acme&limit=1&cursor=${encodeURIComponent(first.body.next_cursor ?? '')}`,
    );
    expect(second.body.data.map((d) => d.id)).toEqual([ids.get('Acme Billing')]);
    expect(second.body.next_cursor).toBeNull();
    expect((await c.req('GET', '/v1/credentials?name=')).statusCode).toBe(422);
  });

  it('PATCH changes name and metadata only, honours If-Match; DELETE then 404', async () => {
    const c = await h.newAccount();
    const cred = (
      await c.json<Cred>('POST', '/v1/credentials', {
        properties: { kind: 'stripe_key', secret: 'sk_test_patch_1', name: 'From props' },
        metadata: { a: 1 },
      })
    ).body;
    expect(cred.name).toBe('From props');
    const bad = await c.json<{ validation_errors: Record<string, string[]> }>('PATCH', `/v1/credentials/${cred.id}`, {
      properties: { kind: 'x' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.validation_errors).toHaveProperty(['properties']);
    const get = await c.req('GET', `/v1/credentials/${cred.id}`);
    const etag = String(get.headers.etag);
    const patched = await c.json<Cred>(
      'PATCH',
      `/v1/credentials/${cred.id}`,
      { name: 'Renamed', metadata: { b: 2 } },
      { 'if-match': etag },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    expect(patched.body.metadata).toEqual({ b: 2 });
    expect(patched.body.properties.name).toBe('From props');
    const stale = await c.req('PATCH', `/v1/credentials/${cred.id}`, { name: 'Again' }, { 'if-match': etag });
    expect(stale.statusCode).toBe(412);
    const del = await c.json('DELETE', `/v1/credentials/${cred.id}`);
    expect(del.body).toEqual({ id: cred.id, deleted: true });
    expect((await c.req('GET', `/v1/credentials/${cred.id}`)).statusCode).toBe(404);
    expect((await c.req('DELETE', `/v1/credentials/${cred.id}`)).statusCode).toBe(404);
  });

  it('OAuth apps: create, get, list, patch (secret and settings masked), reveal needs secrets:reveal, 409 on delete while used', async () => {
    const c = await h.newAccount();
    const created = await c.json<App>('POST', '/v1/oauth-apps', {
      name: 'GH App',
      provider: 'github',
      client_id: 'Iv1.abc',
      client_secret: 'gh-client-secret-value',
      settings: { app_id: 12345, private_key: '-----BEGIN PRIVATE KEY-----\nMARKERKEY\n-----END PRIVATE KEY-----' },
      metadata: { env: 'prod' },
    });
    expect(created.status).toBe(200);
    expect(created.body.client_secret).toBe('**********');
    expect(created.body.settings).toEqual({ app_id: 12345, private_key: '**********' });
    const got = await c.json<App>('GET', `/v1/oauth-apps/${created.body.id}`);
    expect(got.body).toEqual(created.body);
    const list = await c.json<Page<App>>('GET', '/v1/oauth-apps?provider=github');
    expect(list.body.data.map((a) => a.id)).toEqual([created.body.id]);
    expect(JSON.stringify(list.body)).not.toContain('gh-client-secret-value');
    const revealed = await c.json<Page<App>>('GET', '/v1/oauth-apps?truncate_secrets=false');
    expect(revealed.body.data[0]?.client_secret).toBe('gh-client-secret-value');
    expect(String(revealed.body.data[0]?.settings.private_key)).toContain('MARKERKEY');
    const ro = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'ro', scopes: ['credentials:read'] });
    const denied = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/oauth-apps?truncate_secrets=false',
      headers: { authorization: `Bearer ${ro.body.token}` },
    });
    expect(denied.statusCode).toBe(403);
    const patchBad = await c.req('PATCH', `/v1/oauth-apps/${created.body.id}`, { provider: 'stripe', client_id: 'x' });
    expect(patchBad.statusCode).toBe(422);
    const patched = await c.json<App>('PATCH', `/v1/oauth-apps/${created.body.id}`, {
      name: 'GH App 2',
      settings: { app_id: 12345, private_key: '**********' },
    });
    expect(patched.body.name).toBe('GH App 2');
    const again = await c.json<Page<App>>('GET', '/v1/oauth-apps?truncate_secrets=false');
    expect(String(again.body.data[0]?.settings.private_key)).toContain('MARKERKEY');
    const cred = await c.json<Cred>('POST', '/v1/credentials', {
      oauth_app_id: created.body.id,
      properties: { kind: 'github', installation_id: '77', account_type: 'organization' },
    });
    expect(cred.status).toBe(200);
    expect(cred.body.properties.account_type).toBe('Organization');
    expect((await c.req('DELETE', `/v1/oauth-apps/${created.body.id}`)).statusCode).toBe(409);
    await c.req('DELETE', `/v1/credentials/${cred.body.id}`);
    expect((await c.json('DELETE', `/v1/oauth-apps/${created.body.id}`)).body).toEqual({
      id: created.body.id,
      deleted: true,
    });
    const audit = await h.rt.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', c.accountId)
      .execute();
    expect(audit.filter((e) => e.action === 'oauth_app.secret_revealed')).toHaveLength(2);
  });

  it('concurrent OAuth app PATCHes all apply: no lost update', async () => {
    const c = await h.newAccount();
    const id = await createOAuthApp(c, 'stripe');
    const names = Array.from({ length: 20 }, (_, i) => `name-${i}`);
    const res = await Promise.all(names.map((name) => c.json<App>('PATCH', `/v1/oauth-apps/${id}`, { name })));
    expect(res.map((r) => r.status)).toEqual(Array(20).fill(200));
    const row = await h.rt.store.db
      .selectFrom('oauth_apps')
      .select(['version', 'name'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.version).toBe(21);
    expect(names).toContain(row.name);
  });

  it('accounts and API tokens', async () => {
    const c = await h.newAccount('Acme');
    const me = await c.json<{ id: string; name: string }>('GET', '/v1/accounts/me');
    expect(me.body).toMatchObject({ id: c.accountId, name: 'Acme' });
    const denied = await c.req('POST', '/v1/accounts', { name: 'x' });
    expect(denied.statusCode).toBe(403);
    const t = await c.json<{ id: string; token: string; scopes: string[] }>('POST', '/v1/api-tokens', {
      name: 'ci',
      scopes: ['credentials:read'],
    });
    expect(t.status).toBe(201);
    expect(t.body.token).toMatch(/^cv_live_[0-9A-Za-z]{30,}_[0-9A-Za-z]{6}$/);
    const list = await c.json<Page<Record<string, unknown>>>('GET', '/v1/api-tokens');
    expect(list.body.data.length).toBe(2);
    expect(JSON.stringify(list.body)).not.toContain(t.body.token);
    const row = await h.rt.store.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', t.body.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(row.token_hash).length).toBe(32);
    expect(JSON.stringify(row)).not.toContain(t.body.token);
  });
});
