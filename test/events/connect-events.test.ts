/**
 * `credential.connected` (docs/events.md, "Types"): a completed Connect flow writes it in the
 * transaction of the credential it stores, new or re-authorized, with the connect session id and
 * no secret; a flow that stores nothing writes none. Driven through credvault's own key form
 * (no browser: the form is posted as a browser would, with the flow cookie and CSRF token),
 * delivered to a receiver on 127.0.0.1 and verified there. Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER } from '../fakes/state.js';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import type { Client } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type World, fake, startAuth, startWorld } from '../connect/support.js';

type Ev = { id: string; type: string; created_at: string; data: Record<string, unknown> & { id?: string } };
type Session = { id: string; status: string; credential_id: string | null };

describe.each(STORE_KINDS)('credential.connected on %s', (store) => {
  let w: World;
  let rx: Receiver;
  let c: Client;
  let endpointId: string;

  beforeAll(async () => {
    rx = await startReceiver();
    w = await startWorld(store, { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin });
    // Webhook endpoints are admin-scoped: the flows run in the admin's account.
    c = w.h.admin;
    const ep = await c.json<{ id: string; secret: string }>('POST', '/v1/webhook-endpoints', {
      url: `${rx.origin}/connected`,
      event_types: ['credential.connected'],
    });
    expect(ep.status).toBe(201);
    rx.trust(ep.body.secret);
    endpointId = ep.body.id;
  });
  afterAll(async () => {
    await w?.close();
    await rx?.close();
  });

  const events = async () =>
    (await c.json<{ data: Ev[] }>('GET', '/v1/events?since=2000-01-01T00:00:00Z&limit=500')).body.data;
  const session = async (id: string) => (await c.json<Session>('GET', `/v1/connect-sessions/${id}`)).body;

  /** Opens a key-form link and posts `secret` with the flow cookie and CSRF token; answers the session id and the final answer. */
  async function submitKey(startUrl: string, secret: string) {
    const open = await w.h.rt.app.inject({ method: 'GET', url: new URL(startUrl).pathname });
    expect(open.statusCode).toBe(200);
    const cookie = String(open.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const action = /action="([^"]+)"/.exec(open.body)?.[1] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(open.body)?.[1] ?? '';
    expect(action).toMatch(/^\/link\/oauth2\/form\//);
    const sessionId = action.split('/').pop() ?? '';
    const res = await w.h.rt.app.inject({
      method: 'POST',
      url: action,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ csrf, secret }).toString(),
    });
    return { sessionId, status: res.statusCode, location: String(res.headers.location ?? '') };
  }

  it('a new credential: created, then connected with the session id, in one transaction; no secret', async () => {
    const key = `sk_test_${MARKER}conn1`;
    fake(w, 'stripe').state.addAccessToken(key, { account_id: 'acct_evconn1' });
    const before = await events();
    const done = await submitKey(
      await startAuth(c, { credential_kind: 'stripe_key', redirect_url: w.doneUrl, state: 's1' }),
      key,
    );
    expect(done.status).toBe(302);
    expect(new URL(done.location).searchParams.get('code')).toMatch(/^cvx_/);
    const s = await session(done.sessionId);
    expect(s.status).toBe('completed');
    const added = (await events()).filter((e) => !before.some((b) => b.id === e.id));
    expect(added.map((e) => e.type)).toEqual(['credential.created', 'credential.connected']);
    const [created, connected] = added;
    // The presentation as the API gives it, plus the session: what a platform matches its start-auth with.
    expect(connected?.data).toEqual({ ...created?.data, connect_session_id: s.id });
    expect(connected?.data.id).toBe(s.credential_id);
    expect((connected?.data.properties as Record<string, unknown>).secret).toBe('***********');
    // Written by the statement of the credential's own transaction: one instant for both.
    expect(connected?.created_at).toBe(created?.created_at);
    expect(JSON.stringify(added)).not.toContain(MARKER);
  });

  it('a re-authorization: updated, then connected with the new session id', async () => {
    const first = `sk_test_${MARKER}conn2a`;
    const second = `sk_test_${MARKER}conn2b`;
    fake(w, 'stripe').state.addAccessToken(first, { account_id: 'acct_evconn2' });
    fake(w, 'stripe').state.addAccessToken(second, { account_id: 'acct_evconn2' });
    const a = await submitKey(
      await startAuth(c, { credential_kind: 'stripe_key', redirect_url: w.doneUrl, state: 's2' }),
      first,
    );
    const credentialId = (await session(a.sessionId)).credential_id ?? '';
    const before = await events();
    const b = await submitKey(
      await startAuth(c, {
        credential_kind: 'stripe_key',
        redirect_url: w.doneUrl,
        state: 's3',
        credential_id: credentialId,
      }),
      second,
    );
    expect(b.status).toBe(302);
    expect(b.sessionId).not.toBe(a.sessionId);
    const added = (await events()).filter((e) => !before.some((x) => x.id === e.id));
    expect(added.map((e) => e.type)).toEqual(['credential.updated', 'credential.connected']);
    expect(added[1]?.data).toMatchObject({ id: credentialId, connect_session_id: b.sessionId });
    expect(JSON.stringify(added)).not.toContain(MARKER);
  });

  it('a refused key stores nothing and writes no event', async () => {
    const before = await events();
    const refused = await submitKey(
      await startAuth(c, { credential_kind: 'stripe_key', redirect_url: w.doneUrl, state: 's4' }),
      `sk_test_${MARKER}unknown`,
    );
    expect(refused.status).toBe(422);
    expect((await session(refused.sessionId)).credential_id).toBeNull();
    expect((await events()).length).toBe(before.length);
  });

  it('connected events reach a subscribed endpoint signed, and carry no secret', async () => {
    await w.h.rt.deliveries.drain();
    const connected = (await events()).filter((e) => e.type === 'credential.connected');
    // One flow in the first test, two in the second.
    expect(connected).toHaveLength(3);
    const got = rx.received.filter((r) => connected.some((e) => e.id === r.id));
    expect(new Set(got.map((r) => r.id)).size).toBe(3);
    for (const r of got) {
      expect(r.verifiedWith).toHaveLength(1);
      const body = JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
      expect(body.type).toBe('credential.connected');
      expect(body.data.connect_session_id).toEqual(connected.find((e) => e.id === r.id)?.data.connect_session_id);
    }
    // Only what the endpoint subscribed to: no created/updated went to it.
    expect(rx.received.every((r) => connected.some((e) => e.id === r.id))).toBe(true);
    expect(rx.received.map((r) => r.body).join('\n')).not.toContain(MARKER);
    const attempts = (
      await c.json<{ data: Array<{ status_code: number | null }> }>(
        'GET',
        `/v1/webhook-endpoints/${endpointId}/deliveries`,
      )
    ).body.data;
    expect(attempts.map((a) => a.status_code)).toEqual([204, 204, 204]);
  });
});
