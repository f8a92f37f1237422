/** Events as an outbox: each change gives exactly one event, masked; a failed change gives none. Both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Ev = {
  id: string;
  type: string;
  created_at: string;
  data: Record<string, unknown> & { id?: string; previous_status?: string };
};

async function allEvents(c: Client, query = ''): Promise<Ev[]> {
  const out: Ev[] = [];
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '';
    const res: { status: number; body: { data: Ev[]; next_cursor: string | null } } = await c.json(
      'GET',
      `/v1/events?since=2000-01-01T00:00:00Z&limit=7${sep}${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out;
}

describe.each(STORE_KINDS)('events outbox on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  it('import, re-import, patch and delete each give exactly one event, presented as the API presents it', async () => {
    const c = await h.newAccount();
    const created = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_ev1`, account_id: 'acct_ev1' },
    });
    expect(created.status).toBe(200);
    let events = await allEvents(c);
    expect(events.map((e) => e.type)).toEqual(['credential.created']);
    expect(events[0]?.data).toEqual(created.body);

    const again = await c.json('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_ev1b`, account_id: 'acct_ev1' },
      name: 'renamed',
    });
    const patched = await c.json('PATCH', `/v1/credentials/${created.body.id}`, { metadata: { team: 'billing' } });
    expect(patched.status).toBe(200);
    const last = await c.json('GET', `/v1/credentials/${created.body.id}`);
    expect((await c.req('DELETE', `/v1/credentials/${created.body.id}`)).statusCode).toBe(200);

    events = await allEvents(c);
    expect(events.map((e) => e.type)).toEqual([
      'credential.created',
      'credential.updated',
      'credential.updated',
      'credential.deleted',
    ]);
    expect(events[1]?.data).toEqual(again.body);
    expect(events[2]?.data).toEqual(patched.body);
    expect(events[3]?.data).toEqual(last.body);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    // Newest first without since; one by id.
    const newest = await c.json<{ data: Ev[] }>('GET', '/v1/events?limit=1');
    expect(newest.body.data[0]?.type).toBe('credential.deleted');
    const one = await c.json<Ev>('GET', `/v1/events/${events[0]?.id ?? ''}`);
    expect(one.body).toEqual(events[0]);
  });

  it('bulk import gives one event per provider account; filters by type and prefix', async () => {
    const c = await h.newAccount();
    const items = Array.from({ length: 12 }, (_, i) => ({
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_b${i}`, account_id: `acct_b${i % 10}` },
    }));
    const res = await c.json<{ data: Array<{ status: number }> }>('POST', '/v1/credentials/bulk', { items });
    expect(res.status).toBe(200);
    const events = await allEvents(c);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.data.id)).size).toBe(10);
    expect(events.every((e) => e.type === 'credential.created')).toBe(true);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(await allEvents(c, 'type=credential.*')).toHaveLength(10);
    expect(await allEvents(c, 'type=oauth_app.*')).toHaveLength(0);
    expect(await allEvents(c, 'type=credential.created')).toHaveLength(10);
  });

  it('OAuth apps: created, updated (with health_changed when its secret changes), deleted; secrets masked', async () => {
    const c = await h.newAccount();
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'gh',
      provider: 'github',
      client_id: 'Iv1.ev',
      client_secret: `${MARKER}-cs-1`,
      settings: { app_id: '42', private_key: `${MARKER}-pem` },
    });
    expect(app.status).toBe(200);
    await c.json('PATCH', `/v1/oauth-apps/${app.body.id}`, { name: 'renamed' });
    expect((await c.req('DELETE', `/v1/oauth-apps/${app.body.id}`)).statusCode).toBe(200);
    const events = await allEvents(c);
    expect(events.map((e) => e.type)).toEqual(['oauth_app.created', 'oauth_app.updated', 'oauth_app.deleted']);
    expect(events[0]?.data).toEqual(app.body);
    expect(JSON.stringify(events)).not.toContain(MARKER);
  });

  it('a change that fails gives no event: 422, 404, 409 (rolled back), stale If-Match', async () => {
    const c = await h.newAccount();
    expect((await c.req('POST', '/v1/credentials', { properties: { kind: 'stripe_key' } })).statusCode).toBe(422);
    expect(
      (await c.req('PATCH', '/v1/credentials/00000000-0000-4000-8000-000000000000', { name: 'x' })).statusCode,
    ).toBe(404);
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'gh',
      provider: 'github',
      client_id: 'Iv1.ev2',
      client_secret: `${MARKER}-cs`,
      settings: { app_id: '42', private_key: `${MARKER}-pem` },
    });
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      oauth_app_id: app.body.id,
      properties: { kind: 'github_app', installation_id: 9 },
    });
    const before = (await allEvents(c)).length;
    expect((await c.req('DELETE', `/v1/oauth-apps/${app.body.id}`)).statusCode).toBe(409);
    expect(
      (await c.req('PATCH', `/v1/credentials/${cred.body.id}`, { name: 'x' }, { 'if-match': '"v99"' })).statusCode,
    ).toBe(412);
    expect(
      (await c.req('POST', '/v1/credentials/bulk', { items: [{ properties: { kind: 'stripe_key' } }] })).statusCode,
    ).toBeLessThan(500);
    expect(await allEvents(c)).toHaveLength(before);
  });

  it('events belong to their account: another account sees none and gets 404 by id', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    await a.json('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_iso`, account_id: 'acct_iso' },
    });
    const [ev] = await allEvents(a);
    expect(ev).toBeDefined();
    expect(await allEvents(b)).toEqual([]);
    expect((await b.req('GET', `/v1/events/${ev?.id ?? ''}`)).statusCode).toBe(404);
    expect((await b.req('GET', '/v1/events?cursor=bm90LWEtY3Vyc29y')).statusCode).toBe(422);
  });

  it("credential_id answers that credential's history only, in either order, paged; never another account's", async () => {
    const c = await h.newAccount();
    const other = await h.newAccount();
    const app = await c.json<{ id: string }>('POST', '/v1/oauth-apps', {
      name: 'history app',
      provider: 'hubspot',
      client_id: 'hist',
      client_secret: `cs_${MARKER}_hist`,
    });
    expect(app.status).toBe(200);
    const mine = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_h1`, account_id: 'acct_h1' },
    });
    const neighbour = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_h2`, account_id: 'acct_h2' },
    });
    for (let i = 0; i < 3; i++) {
      expect((await c.json('PATCH', `/v1/credentials/${mine.body.id}`, { metadata: { step: i } })).status).toBe(200);
      expect((await c.json('PATCH', `/v1/credentials/${neighbour.body.id}`, { metadata: { step: i } })).status).toBe(
        200,
      );
    }
    // Oldest first with since, paged by 7 through allEvents: created, then the three patches.
    const history = await allEvents(c, `credential_id=${mine.body.id}`);
    expect(history.map((e) => e.type)).toEqual([
      'credential.created',
      'credential.updated',
      'credential.updated',
      'credential.updated',
    ]);
    expect(history.every((e) => e.data.id === mine.body.id)).toBe(true);
    expect(history.map((e) => (e.data.metadata as { step?: number }).step)).toEqual([undefined, 0, 1, 2]);
    // Newest first without since, cursor paging covers the same events once.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { data: Ev[]; next_cursor: string | null } } = await c.json(
        'GET',
        `/v1/events?credential_id=${mine.body.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((e) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(history.map((e) => e.id).reverse());
    // Combined with a type filter; the OAuth app's own events never match a credential id.
    const updates = await c.json<{ data: Ev[] }>(
      'GET',
      `/v1/events?credential_id=${mine.body.id}&type=credential.updated`,
    );
    expect(updates.body.data).toHaveLength(3);
    const byAppId = await c.json<{ data: Ev[] }>('GET', `/v1/events?credential_id=${app.body.id}`);
    expect(byAppId.status).toBe(200);
    expect(byAppId.body.data).toEqual([]);
    // Deleted: the history ends with credential.deleted and stays readable.
    expect((await c.req('DELETE', `/v1/credentials/${mine.body.id}`)).statusCode).toBe(200);
    expect((await allEvents(c, `credential_id=${mine.body.id}`)).map((e) => e.type).at(-1)).toBe('credential.deleted');
    // Another account asking for this credential's history gets nothing (200, empty), not its events.
    const foreign = await other.json<{ data: Ev[] }>('GET', `/v1/events?credential_id=${neighbour.body.id}`);
    expect(foreign.status).toBe(200);
    expect(foreign.body.data).toEqual([]);
    expect(JSON.stringify(history)).not.toContain(MARKER);
    expect((await c.req('GET', '/v1/events?credential_id=not-a-uuid')).statusCode).toBe(422);
  });

  it('events past retention are purged by the background purge', async () => {
    const c = await h.newAccount();
    await c.json('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_live_${MARKER}_old`, account_id: 'acct_old' },
    });
    await h.rt.store.db
      .updateTable('events')
      .set({ created_at: new Date(Date.now() - 31 * 86_400_000) })
      .where('account_id', '=', c.accountId)
      .execute();
    expect(await h.rt.events.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(await allEvents(c)).toEqual([]);
  });
});
