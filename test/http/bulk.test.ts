import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOAuthApp } from '../support/api.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

type Cred = {
  id: string;
  kind: string;
  name: string | null;
  properties: Record<string, unknown>;
  metadata: Record<string, unknown>;
};
type ErrorBody = { summary: string; validation_errors?: Record<string, string[]> };
type Result = { index: number; status: 200; credential: Cred } | { index: number; status: 422; error: ErrorBody };
type Bulk = { results: Result[] };
type Exported = {
  name: string | null;
  properties: Record<string, unknown>;
  oauth_app_id: string | null;
  metadata: Record<string, unknown>;
};

const stripe = (n: number, extra: Record<string, unknown> = {}) => ({
  properties: { kind: 'stripe_key', secret: `sk_live_bulk_${n}`, account_id: `acct_bulk${n}`, ...extra },
});
const idOf = (r: Result | undefined): string => (r?.status === 200 ? r.credential.id : `error:${JSON.stringify(r)}`);

describe.each(STORE_KINDS)('bulk import and export on %s', (store) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(store);
  });
  afterAll(async () => h?.close());

  async function tokenWith(c: Client, scopes: string[]): Promise<string> {
    const res = await c.json<{ token: string }>('POST', '/v1/api-tokens', { name: 'narrow', scopes });
    expect(res.status).toBe(201);
    return res.body.token;
  }

  it('answers one result per item, in order, the same as single imports would', async () => {
    const a = await h.newAccount();
    const b = await h.newAccount();
    const appId = await createOAuthApp(a, 'salesforce');
    const items: unknown[] = [
      stripe(1, { name: 'One' }),
      { properties: { kind: 'nope' } },
      { name: 'no properties' },
      {
        oauth_app_id: appId,
        properties: { kind: 'salesforce', instance_url: 'https://bulk.my.salesforce.com', refresh_token: 'rt' },
      },
      {
        properties: { kind: 'salesforce_oauth2', instance_url: 'https://x.my.salesforce.com', refresh_token: 'r' },
        oauth_app_id: '7d1c2d6e-8b1a-4c3e-9f0a-123456789abc',
      },
      { properties: { kind: 'stripe_key', secret: 'not-a-key' }, surprise: true },
      'not even an object',
      stripe(2),
    ];
    const res = await a.json<Bulk>('POST', '/v1/credentials/bulk', { items });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => [r.index, r.status])).toEqual([
      [0, 200],
      [1, 422],
      [2, 422],
      [3, 200],
      [4, 422],
      [5, 422],
      [6, 422],
      [7, 200],
    ]);
    // Each error body is exactly what a single import of that item answers (in an account without the app).
    for (const [i, item] of items.entries()) {
      const r = res.body.results[i];
      if (r?.status !== 422 || i === 4) continue;
      const single = await b.json<ErrorBody>(
        'POST',
        '/v1/credentials',
        typeof item === 'string' ? JSON.stringify(item) : item,
      );
      expect(single.status).toBe(422);
      expect(r.error).toEqual(single.body);
    }
    const foreignApp = await a.json<ErrorBody>('POST', '/v1/credentials', items[4]);
    expect(res.body.results[4]).toMatchObject({ status: 422, error: foreignApp.body });
    const first = res.body.results[0];
    expect(first?.status === 200 && first.credential.properties.secret).toBe('***********');
    const single = await a.json<Cred>('POST', '/v1/credentials', stripe(1));
    expect(single.body.id).toBe(idOf(first));
    expect(single.body.name).toBe('One');
    const sf = res.body.results[3];
    expect(sf?.status === 200 && sf.credential.kind).toBe('salesforce_oauth2');
  });

  it('answers ids only under Prefer: return=minimal, and exactly what zod would write otherwise', async () => {
    const a = await h.newAccount();
    const items: unknown[] = [
      stripe(1, { name: 'One' }),
      { properties: { kind: 'stripe_key', secret: 'nope' } },
      { ...stripe(2), metadata: { team: 'x', n: [1, { deep: true }] } },
    ];
    const full = await a.req('POST', '/v1/credentials/bulk', { items });
    expect(full.statusCode).toBe(200);
    expect(full.headers['preference-applied']).toBeUndefined();
    // The hand-assembled answer is byte for byte what zod's schema + JSON.stringify answer.
    const { BulkImportAnswer } = await import('../../src/http/routes/bulk.js');
    expect(full.body).toBe(JSON.stringify(BulkImportAnswer.encode(JSON.parse(full.body))));
    const fullResults = (JSON.parse(full.body) as Bulk).results;

    for (const prefer of ['return=minimal', 'respond-async, return = minimal; x=1', 'RETURN=MINIMAL']) {
      const res = await a.json<{ results: Array<Record<string, unknown>> }>(
        'POST',
        '/v1/credentials/bulk',
        { items },
        { prefer },
      );
      expect(res.status).toBe(200);
      expect(res.headers['preference-applied']).toBe('return=minimal');
      expect(res.body.results).toEqual([
        { index: 0, status: 200, id: idOf(fullResults[0]) },
        { index: 1, status: 422, error: (fullResults[1] as { error: ErrorBody }).error },
        { index: 2, status: 200, id: idOf(fullResults[2]) },
      ]);
    }
    const other = await a.json<Bulk>('POST', '/v1/credentials/bulk', { items }, { prefer: 'return=representation' });
    expect(other.headers['preference-applied']).toBeUndefined();
    expect(other.body.results.map(idOf)).toEqual(fullResults.map(idOf));
  });

  it('is idempotent: the same batch again answers the same credentials', async () => {
    const a = await h.newAccount();
    const items = Array.from({ length: 50 }, (_, i) => stripe(i));
    const one = await a.json<Bulk>('POST', '/v1/credentials/bulk', { items });
    const two = await a.json<Bulk>('POST', '/v1/credentials/bulk', { items });
    expect(two.body.results.map(idOf)).toEqual(one.body.results.map(idOf));
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials?limit=500');
    expect(list.body.data).toHaveLength(50);
  });

  it('items naming one provider account give one credential; the later item wins', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'salesforce');
    const sf = (url: string, rt: string, extra: Record<string, unknown> = {}) => ({
      oauth_app_id: appId,
      properties: { kind: 'salesforce', instance_url: url, refresh_token: rt },
      ...extra,
    });
    const res = await a.json<Bulk>('POST', '/v1/credentials/bulk', {
      items: [
        sf('https://dup.my.salesforce.com', 'rt-1', { name: 'First', metadata: { n: 1 } }),
        stripe(7),
        sf('https://DUP.my.salesforce.com/', 'rt-2'),
        sf('https://dup.my.salesforce.com:443', 'rt-3', { metadata: { n: 3 } }),
      ],
    });
    const ids = res.body.results.map(idOf);
    expect(res.body.results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(new Set([ids[0], ids[2], ids[3]]).size).toBe(1);
    expect(ids[1]).not.toBe(ids[0]);
    const last = res.body.results[3];
    expect(last?.status === 200 && last.credential).toMatchObject({ name: 'First', metadata: { n: 3 } });
    expect(res.body.results[0]).toEqual({ ...last, index: 0 });
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials?provider=salesforce');
    expect(list.body.data).toHaveLength(1);
  });

  it('refuses an empty batch and more than 1,000 items as a whole (422)', async () => {
    const a = await h.newAccount();
    const tooMany = await a.json<ErrorBody>('POST', '/v1/credentials/bulk', {
      items: Array.from({ length: 1001 }, (_, i) => stripe(i)),
    });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.validation_errors).toHaveProperty(['items']);
    const empty = await a.json<ErrorBody>('POST', '/v1/credentials/bulk', { items: [] });
    expect(empty.status).toBe(422);
    const notArray = await a.json<ErrorBody>('POST', '/v1/credentials/bulk', { items: {} });
    expect(notArray.status).toBe(422);
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials');
    expect(list.body.data).toHaveLength(0);
    const max = await a.json<Bulk>('POST', '/v1/credentials/bulk', {
      items: Array.from({ length: 1000 }, (_, i) => stripe(i)),
    });
    expect(max.status).toBe(200);
    expect(max.body.results.filter((r) => r.status === 200)).toHaveLength(1000);
  });

  it('runs concurrently with single imports and other batches without duplicates or errors', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'hubspot');
    const hub = (n: number, rt: string) => ({
      oauth_app_id: appId,
      properties: { kind: 'hubspot', hub_id: n, refresh_token: rt, scopes: [] },
    });
    // 6 batches of 100 over 150 hubs, in different orders, plus 60 single imports of the same hubs.
    const batches = Array.from({ length: 6 }, (_, b) => {
      const items = Array.from({ length: 100 }, (_, i) =>
        hub(((b * 37 + i * (b % 2 ? 7 : 1)) % 150) + 1, `rt-b${b}-${i}`),
      );
      return a.json<Bulk>('POST', '/v1/credentials/bulk', { items: b % 2 ? items.reverse() : items });
    });
    const singles = Array.from({ length: 60 }, (_, i) =>
      a.json<Cred>('POST', '/v1/credentials', hub(((i * 11) % 150) + 1, `rt-s${i}`)),
    );
    const [bulks, ones] = await Promise.all([Promise.all(batches), Promise.all(singles)]);
    for (const b of bulks) {
      expect(b.status).toBe(200);
      expect(b.body.results.every((r) => r.status === 200)).toBe(true);
    }
    expect(ones.every((o) => o.status === 200)).toBe(true);
    const list = await a.json<{ data: Cred[] }>('GET', '/v1/credentials?provider=hubspot&limit=500');
    const hubs = list.body.data.map((c) => c.properties.hub_id);
    expect(new Set(hubs).size).toBe(hubs.length);
    const byHub = new Map(list.body.data.map((c) => [c.properties.hub_id, c.id]));
    for (const o of ones) expect(byHub.get(o.body.properties.hub_id)).toBe(o.body.id);
  });

  it('masked secrets keep the stored value in a batch, or answer 422 for that item', async () => {
    const a = await h.newAccount();
    await a.json<Bulk>('POST', '/v1/credentials/bulk', { items: [stripe(1), stripe(2)] });
    const res = await a.json<Bulk>('POST', '/v1/credentials/bulk', {
      items: [
        stripe(1, { secret: '***********' }),
        stripe(3, { secret: '***********' }),
        stripe(2, { name: 'renamed' }),
      ],
    });
    expect(res.body.results.map((r) => r.status)).toEqual([200, 422, 200]);
    const exported = await a.json<{ data: Exported[] }>('GET', '/v1/credentials/export?include_secrets=true');
    const secrets = exported.body.data.map((e) => e.properties.secret).sort();
    expect(secrets).toEqual(['sk_live_bulk_1', 'sk_live_bulk_2']);
  });

  it('needs credentials:write', async () => {
    const a = await h.newAccount();
    const token = await tokenWith(a, ['credentials:read']);
    const res = await h.rt.app.inject({
      method: 'POST',
      url: '/v1/credentials/bulk',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { items: [stripe(1)] },
    });
    expect(res.statusCode).toBe(403);
  });

  it('exports import bodies: masked by default, plaintext and audited with secrets:reveal', async () => {
    const a = await h.newAccount();
    const appId = await createOAuthApp(a, 'salesforce');
    await a.json<Bulk>('POST', '/v1/credentials/bulk', {
      items: [
        stripe(1, { name: 'Named' }),
        {
          oauth_app_id: appId,
          metadata: { team: 'x' },
          properties: {
            kind: 'salesforce',
            instance_url: 'https://exp.my.salesforce.com',
            refresh_token: 'rt-exp',
            org_id: '00D1',
          },
        },
        ...Array.from({ length: 5 }, (_, i) => stripe(10 + i)),
      ],
    });
    const masked = await a.json<{ data: Exported[]; next_cursor: string | null }>(
      'GET',
      '/v1/credentials/export?limit=3',
    );
    expect(masked.status).toBe(200);
    expect(masked.body.data).toHaveLength(3);
    expect(masked.body.next_cursor).not.toBeNull();
    expect(JSON.stringify(masked.body)).not.toContain('sk_live_bulk');
    const all: Exported[] = [...masked.body.data];
    let cursor = masked.body.next_cursor;
    while (cursor) {
      const page = await a.json<{ data: Exported[]; next_cursor: string | null }>(
        'GET',
        `/v1/credentials/export?limit=3&cursor=${encodeURIComponent(cursor)}`,
      );
      all.push(...page.body.data);
      cursor = page.body.next_cursor;
    }
    expect(all).toHaveLength(7);
    // The masked export re-imports unchanged into the same account: the same credentials, secrets kept.
    const again = await a.json<Bulk>('POST', '/v1/credentials/bulk', { items: all });
    expect(again.body.results.every((r) => r.status === 200)).toBe(true);
    const sfExport = all.find((e) => e.properties.kind === 'salesforce_oauth2');
    expect(sfExport).toEqual({
      name: null,
      oauth_app_id: appId,
      metadata: { team: 'x' },
      properties: {
        kind: 'salesforce_oauth2',
        instance_url: 'https://exp.my.salesforce.com',
        refresh_token: '***********',
        org_id: '00D1',
      },
    });

    const readOnly = await tokenWith(a, ['credentials:read']);
    const denied = await h.rt.app.inject({
      method: 'GET',
      url: '/v1/credentials/export?include_secrets=true',
      headers: { authorization: `Bearer ${readOnly}` },
    });
    expect(denied.statusCode).toBe(403);
    const revealed = await a.json<{ data: Exported[] }>('GET', '/v1/credentials/export?include_secrets=true&limit=500');
    expect(revealed.body.data.find((e) => e.properties.kind === 'salesforce_oauth2')?.properties.refresh_token).toBe(
      'rt-exp',
    );
    expect(revealed.body.data.find((e) => e.name === 'Named')?.properties.secret).toBe('sk_live_bulk_1');
    const audit = await h.rt.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('account_id', '=', a.accountId)
      .where('action', '=', 'credential.secret_revealed')
      .execute();
    expect(audit).toHaveLength(7);
    expect(JSON.stringify(audit)).not.toContain('rt-exp');
    expect(JSON.stringify(audit)).not.toContain('sk_live_bulk');
    expect(h.logs.join('')).not.toContain('rt-exp');
  });
});
