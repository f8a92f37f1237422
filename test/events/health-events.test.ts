/** Health and learned-identity writes of the scheduler make their events in the same transaction. Both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeProvider, startFakeProvider } from '../fakes/server.js';
import { MARKER } from '../fakes/state.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Ev = {
  id: string;
  type: string;
  data: { id: string; previous_status?: string; health: { status: string }; properties: Record<string, unknown> };
};

describe.each(STORE_KINDS)('health events on %s', (store) => {
  let stripe: FakeProvider;
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    stripe = await startFakeProvider('stripe');
    h = await startHarness(store, { CREDVAULT_PROVIDER_URL_STRIPE: stripe.url });
    c = await h.newAccount();
  });
  afterAll(async () => {
    await h?.close();
    await stripe?.close();
  });

  const eventsOf = async (credId: string) =>
    (await c.json<{ data: Ev[] }>('GET', '/v1/events?since=2000-01-01T00:00:00Z&limit=500')).body.data.filter(
      (e) => e.data.id === credId,
    );

  it('a status change gives one credential.health_changed with previous_status; a check that changes nothing gives none', async () => {
    const key = `sk_test_${MARKER}_health_ok`;
    stripe.state.addAccessToken(key, { account_id: 'acct_health_ok' });
    const good = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key, account_id: 'acct_health_ok' },
    });
    const bad = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: `sk_test_${MARKER}_unknown`, account_id: 'acct_health_bad' },
    });
    await h.rt.health.scheduler.drain();

    const goodEvents = await eventsOf(good.body.id);
    expect(goodEvents.map((e) => e.type)).toEqual(['credential.created', 'credential.health_changed']);
    expect(goodEvents[1]?.data.previous_status).toBe('pending');
    expect(goodEvents[1]?.data.health.status).toBe('ok');
    const current = await c.json<Record<string, unknown>>('GET', `/v1/credentials/${good.body.id}`);
    expect({ ...goodEvents[1]?.data, previous_status: undefined }).toEqual({
      ...current.body,
      previous_status: undefined,
    });

    const badEvents = await eventsOf(bad.body.id);
    expect(badEvents.map((e) => [e.type, e.data.previous_status, e.data.health.status])).toEqual([
      ['credential.created', undefined, 'pending'],
      ['credential.health_changed', 'pending', 'error'],
    ]);

    // Checked again with the same outcome: no new event.
    await h.rt.store.db
      .updateTable('credentials')
      .set({ next_check_at: new Date(Date.now() - 1000) })
      .where('id', 'in', [good.body.id, bad.body.id])
      .execute();
    await h.rt.health.scheduler.drain();
    expect(await eventsOf(good.body.id)).toHaveLength(2);
    expect(await eventsOf(bad.body.id)).toHaveLength(2);
    const all = JSON.stringify((await c.json('GET', '/v1/events?limit=500')).body);
    expect(all).not.toContain(MARKER);
  });

  it('an identity learned from the provider gives credential.updated', async () => {
    const key = `sk_test_${MARKER}_learn`;
    stripe.state.addAccessToken(key, { account_id: 'acct_learned' });
    const cred = await c.json<{ id: string; properties: Record<string, unknown> }>('POST', '/v1/credentials', {
      properties: { kind: 'stripe_key', secret: key },
    });
    expect(cred.status).toBe(200);
    await h.rt.health.scheduler.drain();
    const events = await eventsOf(cred.body.id);
    const updated = events.filter((e) => e.type === 'credential.updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]?.data.properties.account_id).toBe('acct_learned');
    expect(events.filter((e) => e.type === 'credential.created')).toHaveLength(1);
  });
});
