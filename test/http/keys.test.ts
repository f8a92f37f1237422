/**
 * GET /v1/keys (docs/api.md "Master key status"): an admin reads the database's primary key id
 * and each running node's key ids and heartbeat; never key material; other tokens are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, TEST_MASTER_KEYS, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

interface KeyStatus {
  primary_kid: string | null;
  promoted_at: string | null;
  nodes: Array<{ node_id: string; kids: string[]; primary_kid: string; heartbeat_at: string; live: boolean }>;
}

describe.each(STORE_KINDS)('GET /v1/keys on %s', (kind) => {
  let h: Harness;
  let user: Client;
  beforeAll(async () => {
    h = await startHarness(kind);
    user = await h.newAccount();
  }, 60_000);
  afterAll(async () => h?.close());

  it('shows the primary key id and this node with the key ids it holds, live; no key material', async () => {
    const res = await h.admin.json<KeyStatus>('GET', '/v1/keys');
    expect(res.status).toBe(200);
    expect(res.body.primary_kid).toBe('test1');
    expect(Date.parse(res.body.promoted_at ?? '')).not.toBeNaN();
    const mine = res.body.nodes.filter((n) => n.kids.includes('test1'));
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine[0]).toMatchObject({ kids: ['test1'], primary_kid: 'test1', live: true });
    const material = TEST_MASTER_KEYS.split(':')[1] ?? '';
    expect(material.length).toBeGreaterThan(10);
    expect(JSON.stringify(res.body)).not.toContain(material);
  });

  it('refuses a token without the admin scope (403) and no token (401)', async () => {
    expect((await user.json('GET', '/v1/keys')).status).toBe(403);
    expect((await h.rt.app.inject({ method: 'GET', url: '/v1/keys' })).statusCode).toBe(401);
  });
});
