/**
 * The proxy's per-node credential cache (docs/performance.md, "Proxy credential cache"): a
 * delete made through this node is seen by the next proxied call at once; a delete made
 * elsewhere (another node, here a statement on the database) is seen only once the entry
 * expires, which CREDVAULT_PROXY_CACHE_MS bounds; 0 reads the credential on every call.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';
import { type Upstream, startUpstream } from './upstream.js';

async function importKey(c: Client, key: string): Promise<string> {
  const res = await c.json<{ id: string }>('POST', '/v1/credentials', {
    properties: { kind: 'sendgrid_key', api_key: key },
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

/** A delete another node makes: straight on the shared database, this node's services never see it. */
async function deleteElsewhere(h: Harness, id: string): Promise<void> {
  await sql`delete from credentials where id = ${id}`.execute(h.testStore.store.db);
}

describe.each(STORE_KINDS)('the proxy credential cache on %s', (store) => {
  let up: Upstream;
  let cached: Harness;
  let uncached: Harness;
  let c: Client;
  let u: Client;
  beforeAll(async () => {
    up = await startUpstream();
    // A long TTL, so "still cached" does not depend on how fast the test runs.
    cached = await startHarness(store, { CREDVAULT_PROVIDER_URL_SENDGRID: up.url, CREDVAULT_PROXY_CACHE_MS: '60000' });
    uncached = await startHarness(store, { CREDVAULT_PROVIDER_URL_SENDGRID: up.url, CREDVAULT_PROXY_CACHE_MS: '0' });
    c = await cached.newAccount();
    u = await uncached.newAccount();
  });
  afterAll(async () => {
    await cached?.close();
    await uncached?.close();
    await up?.close();
  });

  it('a delete through this node: the next proxied call is 404 at once', async () => {
    const id = await importKey(c, 'SG.cache-local-delete-0001');
    expect((await c.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(200);
    expect((await c.req('DELETE', `/v1/credentials/${id}`)).statusCode).toBe(200);
    const res = await c.req('GET', `/v1/proxy/credential/${id}/v3/x`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-credvault-proxy-error']).toBe('not_found');
  });

  it('a re-import through this node: the next proxied call reads the credential again', async () => {
    const id = await importKey(c, 'SG.cache-reimport-0001');
    expect((await c.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(200);
    // Same key, new metadata: the same credential, rewritten by this node; then deleted elsewhere.
    const again = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.cache-reimport-0001' },
      metadata: { team: 'b' },
    });
    expect(again.body.id).toBe(id);
    await deleteElsewhere(cached, id);
    expect((await c.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(404);
  });

  it('a delete on another node: served from the cache until the entry expires (the documented lag)', async () => {
    const id = await importKey(c, 'SG.cache-remote-delete-0001');
    expect((await c.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(200);
    await deleteElsewhere(cached, id);
    const res = await c.req('GET', `/v1/proxy/credential/${id}/v3/x`);
    expect(res.statusCode).toBe(200);
    expect(up.seen.at(-1)?.headers.authorization).toBe('Bearer SG.cache-remote-delete-0001');
  });

  it('CREDVAULT_PROXY_CACHE_MS=0: a delete on another node is seen by the next call', async () => {
    const id = await importKey(u, 'SG.cache-off-0001');
    expect((await u.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(200);
    await deleteElsewhere(uncached, id);
    expect((await u.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(404);
  });

  it('another account never gets a cached credential', async () => {
    const id = await importKey(c, 'SG.cache-isolation-0001');
    expect((await c.req('GET', `/v1/proxy/credential/${id}/v3/x`)).statusCode).toBe(200);
    const other = await cached.newAccount();
    const res = await other.req('GET', `/v1/proxy/credential/${id}/v3/x`);
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-credvault-proxy-error']).toBe('not_found');
  });
});
