/**
 * access-token under concurrency: every reveal is audited before it is answered, the audit rows
 * of concurrent reveals are group-committed, and one row that cannot be written fails only its
 * own reveal; an API key is read and audited in one statement, and a failed audit write answers
 * no token (both storages).
 */
import { sql } from 'kysely';
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

  type AuditList = { data: Array<{ action: string; credential_id: string | null; actor_token_id: string | null }> };
  const revealsOf = async (id: string) =>
    (await c.json<AuditList>('GET', '/v1/audit-events?limit=500')).body.data.filter(
      (e) => e.action === 'credential.access_token_revealed' && e.credential_id === id,
    );

  it('an API key read and audited in one statement: each answered reveal has its row; 409 in error and 404 write none', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.one-statement-key-0001' },
    });
    for (let i = 0; i < 3; i++) {
      const res = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toBe('SG.one-statement-key-0001');
    }
    const rows = await revealsOf(cred.body.id);
    expect(rows).toHaveLength(3);
    expect(rows.every((e) => e.actor_token_id !== null)).toBe(true);
    // Another account's caller: 404, and no audit row in either account.
    const other = await h.newAccount();
    expect((await other.req('POST', `/v1/credentials/${cred.body.id}/access-token`)).statusCode).toBe(404);
    // In error: refused (409), so not a reveal: no row.
    await sql`update credentials set health_status = 'error' where id = ${cred.body.id}`.execute(h.testStore.store.db);
    const refused = await c.req('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(refused.statusCode).toBe(409);
    expect(refused.body).not.toContain('one-statement-key');
    expect(await revealsOf(cred.body.id)).toHaveLength(3);
  });

  it('an audit row that cannot be written answers no token (fail-closed, C9), then reveals work again', async () => {
    const cred = await c.json<{ id: string }>('POST', '/v1/credentials', {
      properties: { kind: 'sendgrid_key', api_key: 'SG.audit-fails-key-0001' },
    });
    const db = h.testStore.store.db;
    await sql`create function refuse_audit() returns trigger language plpgsql as $$
      begin raise exception 'audit refused by the test'; end $$`.execute(db);
    await sql`create trigger refuse_audit before insert on audit_events for each row execute function refuse_audit()`.execute(
      db,
    );
    try {
      const res = await c.req('POST', `/v1/credentials/${cred.body.id}/access-token`);
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain('audit-fails-key');
    } finally {
      await sql`drop trigger refuse_audit on audit_events`.execute(db);
      await sql`drop function refuse_audit()`.execute(db);
    }
    expect(await revealsOf(cred.body.id)).toHaveLength(0);
    const again = await c.json<{ access_token: string }>('POST', `/v1/credentials/${cred.body.id}/access-token`);
    expect(again.body.access_token).toBe('SG.audit-fails-key-0001');
    expect(await revealsOf(cred.body.id)).toHaveLength(1);
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
