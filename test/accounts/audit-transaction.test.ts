/**
 * Token changes and their audit rows commit together (issue 8 item 6, docs/security.md): the
 * account service writes `api_token.created` / `api_token.revoked` on the transaction of the
 * change, so a change that fails after its audit row was written leaves neither, and a change
 * that succeeds leaves exactly its row. Both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthContext, createAccountService } from '../../src/accounts/service.js';
import { SCOPES } from '../../src/accounts/tokens.js';
import { type AuditEntry, createAuditService } from '../../src/audit/service.js';
import { systemClock } from '../../src/lib/clock.js';
import type { Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

class AfterAudit extends Error {}

describe.each(STORE_KINDS)('account audits in their transaction (%s)', (kind) => {
  let t: TestStore;
  let db: Db;
  let admin: AuthContext;
  /** An audit log that writes the row, then fails the change it belongs to. */
  const failing = () => {
    const real = createAuditService({ db, clock: systemClock });
    return {
      async record(entry: AuditEntry, trx?: Db): Promise<void> {
        await real.record(entry, trx);
        throw new AfterAudit('the change fails after its audit row was written');
      },
    };
  };
  const auditRows = (action: string) =>
    db
      .selectFrom('audit_events')
      .select(['actor_token_id', 'detail'])
      .where('account_id', '=', admin.accountId)
      .where('action', '=', action)
      .execute();

  beforeAll(async () => {
    t = await openTestStore(kind);
    db = t.store.db;
    await migrate(db);
    const accounts = createAccountService({
      db,
      clock: systemClock,
      audit: createAuditService({ db, clock: systemClock }),
    });
    const boot = await accounts.bootstrap(undefined);
    if (!boot.token) throw new Error('bootstrap made no token');
    admin = await accounts.authenticate(`Bearer ${boot.token}`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a token creation that fails leaves no token and no audit row; one that succeeds leaves both', async () => {
    const broken = createAccountService({ db, clock: systemClock, audit: failing(), authCacheMs: 0 });
    await expect(broken.createToken(admin, 'rolled-back', ['credentials:read'])).rejects.toBeInstanceOf(AfterAudit);
    const named = (name: string) => db.selectFrom('api_tokens').select('id').where('name', '=', name).execute();
    expect(await named('rolled-back')).toEqual([]);
    expect(await auditRows('api_token.created')).toEqual([]);

    const accounts = createAccountService({
      db,
      clock: systemClock,
      audit: createAuditService({ db, clock: systemClock }),
    });
    const made = await accounts.createToken(admin, 'kept', ['credentials:read']);
    expect(await named('kept')).toEqual([{ id: made.id }]);
    expect(await auditRows('api_token.created')).toEqual([
      { actor_token_id: admin.tokenId, detail: { token_id: made.id, scopes: ['credentials:read'] } },
    ]);
  });

  it('a revocation that fails leaves the token live and no audit row', async () => {
    const accounts = createAccountService({
      db,
      clock: systemClock,
      audit: createAuditService({ db, clock: systemClock }),
    });
    const target = await accounts.createToken(admin, 'to-revoke', ['credentials:read']);
    const broken = createAccountService({ db, clock: systemClock, audit: failing(), authCacheMs: 0 });
    await expect(broken.revokeToken(admin, target.id)).rejects.toBeInstanceOf(AfterAudit);
    const row = await db.selectFrom('api_tokens').select('revoked_at').where('id', '=', target.id).executeTakeFirst();
    expect(row).toEqual({ revoked_at: null });
    expect(await auditRows('api_token.revoked')).toEqual([]);

    await accounts.revokeToken(admin, target.id);
    expect(await auditRows('api_token.revoked')).toEqual([
      { actor_token_id: admin.tokenId, detail: { token_id: target.id } },
    ]);
  });

  it('an offline recovery token that fails leaves no token and no audit row', async () => {
    const before = await db.selectFrom('api_tokens').select('id').where('name', '=', 'recovery').execute();
    const broken = createAccountService({ db, clock: systemClock, audit: failing(), authCacheMs: 0 });
    await expect(broken.mintAdminToken(admin.accountId)).rejects.toBeInstanceOf(AfterAudit);
    expect(await db.selectFrom('api_tokens').select('id').where('name', '=', 'recovery').execute()).toEqual(before);
    const via = (await auditRows('api_token.created')).filter((r) => r.detail.via === 'tokens bootstrap');
    expect(via).toEqual([]);

    const accounts = createAccountService({
      db,
      clock: systemClock,
      audit: createAuditService({ db, clock: systemClock }),
    });
    const minted = await accounts.mintAdminToken(admin.accountId);
    expect(minted.scopes).toEqual([...SCOPES]);
    const kept = (await auditRows('api_token.created')).filter((r) => r.detail.via === 'tokens bootstrap');
    expect(kept).toEqual([
      { actor_token_id: null, detail: { token_id: minted.id, scopes: [...SCOPES], via: 'tokens bootstrap' } },
    ]);
  });
});
