/**
 * access-token under concurrency: every reveal is audited before it is answered, the audit rows
 * of concurrent reveals are group-committed, and one row that cannot be written fails only its
 * own reveal (both storages).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditService } from '../../src/audit/service.js';
import { systemClock } from '../../src/lib/clock.js';
import { type Client, type Harness, startHarness } from '../support/harness.js';
import { STORE_KINDS } from '../support/stores.js';

describe.each(STORE_KINDS)('group-committed reveal audits on %s', (store) => {
  let h: Harness;
  let c: Client;
  beforeAll(async () => {
    h = await startHarness(store);
    c = await h.newAccount();
  });
  afterAll(async () => h?.close());

  it('40 concurrent access-token calls: 40 answers, 40 audit rows, each naming the credential and token', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.group-commit-key-0001' },
    });
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`),
      ),
    );
    expect(answers.every((a) => a.status === 200 && a.body.access_token === 'SG.group-commit-key-0001')).toBe(true);
    const audit = await c.json<{
      data: Array<{ action: string; credential_id: string; actor_token_id: string | null; detail: unknown }>;
    }>('GET', '/v1/audit-events?limit=500');
    const reveals = audit.body.data.filter(
      (e) => e.action === 'credential.access_token_revealed' && e.credential_id === cred.body.id,
    );
    expect(reveals).toHaveLength(40);
    expect(reveals.every((e) => e.actor_token_id !== null)).toBe(true);
    expect(JSON.stringify(audit.body)).not.toContain('group-commit-key');
  });

  it('a row that cannot be stored fails its own write only; the others in the same group are stored', async () => {
    const audit = createAuditService({ db: h.testStore.store.db, clock: systemClock });
    const missingAccount = '00000000-0000-4000-8000-00000000dead';
    const results = await Promise.allSettled([
      ...Array.from({ length: 5 }, (_, i) =>
        audit.record({ accountId: c.accountId, actorTokenId: null, action: 'test.grouped', detail: { i } }),
      ),
      audit.record({ accountId: missingAccount, actorTokenId: null, action: 'test.grouped' }),
      ...Array.from({ length: 5 }, (_, i) =>
        audit.record({ accountId: c.accountId, actorTokenId: null, action: 'test.grouped', detail: { i: i + 5 } }),
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      ...Array(5).fill('fulfilled'),
      'rejected',
      ...Array(5).fill('fulfilled'),
    ]);
    const list = await audit.list(c.accountId, 500);
    expect(list.data.filter((e) => e.action === 'test.grouped')).toHaveLength(10);
  });
});
