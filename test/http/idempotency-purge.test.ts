import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyService } from '../../src/idempotency/service.js';
import { migrate } from '../../src/store/migrate.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

describe.each(STORE_KINDS)('idempotency keys expire after 24 hours on %s', (kind) => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await openTestStore(kind);
    await migrate(ts.store.db);
  });
  afterAll(async () => ts?.close());

  it('purges only keys older than 24 hours, and an expired key can be used again', async () => {
    let now = new Date('2026-11-26T00:00:00Z');
    const clock = { now: () => now };
    const db = ts.store.db;
    const accountId = randomUUID();
    const owner = { accountId, tokenId: randomUUID() };
    await db.insertInto('accounts').values({ id: accountId, name: 'a', created_at: now }).execute();
    const svc = createIdempotencyService({
      db,
      clock,
      seal: (_a, _k, b) => `sealed:${b}`,
      unseal: (_a, _k, s) => s.replace(/^sealed:/, ''),
    });
    expect(await svc.begin(owner, 'old', 'h1')).toEqual({ kind: 'new' });
    await svc.complete(owner, 'old', 200, '{"a":1}');
    now = new Date('2026-11-26T20:00:00Z');
    expect(await svc.begin(owner, 'young', 'h2')).toEqual({ kind: 'new' });
    await svc.complete(owner, 'young', 200, '{"b":2}');
    expect(await svc.begin(owner, 'old', 'h1')).toEqual({ kind: 'replay', status: 200, body: '{"a":1}' });
    now = new Date('2026-11-27T01:00:00Z');
    expect(await svc.purgeExpired()).toBe(1);
    const left = await db.selectFrom('idempotency_keys').select('key').where('account_id', '=', accountId).execute();
    expect(left.map((r) => r.key)).toEqual([`${owner.tokenId}:young`]);
    // The same key with another request is new again once expired (no 422 forever).
    now = new Date('2026-11-28T00:00:00Z');
    expect(await svc.begin(owner, 'young', 'different')).toEqual({ kind: 'new' });
  });
});
