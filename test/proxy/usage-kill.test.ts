/**
 * kill -9 of a node with proxy use counts in memory (the usage flusher, a background worker):
 * what was flushed stays, at most the last flush interval is lost, and the restarted node keeps
 * adding to the same hourly event. PostgreSQL, two processes one after the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP_TOKEN } from '../support/harness.js';
import { type ChildNode, startChildNode } from '../support/child.js';
import { createTestDatabase } from '../support/stores.js';
import { type Upstream, startUpstream } from './upstream.js';

const auth = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` };

async function usedCalls(node: ChildNode, id: string): Promise<number> {
  const res = await fetch(`${node.url}/v1/audit-events?limit=500`, { headers: auth });
  const body = (await res.json()) as {
    data: Array<{ action: string; credential_id: string | null; detail: { calls?: number } }>;
  };
  return body.data
    .filter((e) => e.action === 'credential.proxy_used' && e.credential_id === id)
    .reduce((n, e) => n + (e.detail.calls ?? 0), 0);
}

describe('proxy use counts across kill -9 on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let up: Upstream;
  const nodes: ChildNode[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    up = await startUpstream();
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    await up?.close();
    await db?.drop();
  });

  it('loses at most the unflushed window, and the next node adds to the same event', async () => {
    const env = {
      DATABASE_URL: db.url,
      CREDVAULT_PROVIDER_URL_SENDGRID: up.url,
      CREDVAULT_PROXY_USE_FLUSH_SECONDS: '0.3',
    };
    const a = await startChildNode(env);
    nodes.push(a);
    const created = await fetch(`${a.url}/v1/credentials`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { kind: 'sendgrid_key', api_key: 'SG.kill-test-key-000001' } }),
    });
    const id = ((await created.json()) as { id: string }).id;
    const call = async (node: ChildNode) =>
      expect((await fetch(`${node.url}/v1/proxy/credential/${id}/v3/x`, { headers: auth })).status).toBe(200);
    for (let i = 0; i < 20; i++) await call(a);
    for (let i = 0; i < 100 && (await usedCalls(a, id)) < 20; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await usedCalls(a, id)).toBe(20);
    for (let i = 0; i < 5; i++) await call(a);
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const b = await startChildNode(env);
    nodes.push(b);
    const afterKill = await usedCalls(b, id);
    expect(afterKill).toBeGreaterThanOrEqual(20);
    expect(afterKill).toBeLessThanOrEqual(25);
    for (let i = 0; i < 3; i++) await call(b);
    await b.stop(); // SIGTERM flushes
    const c = await startChildNode(env);
    nodes.push(c);
    expect(await usedCalls(c, id)).toBe(afterKill + 3);
  });
});
