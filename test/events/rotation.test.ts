/** Key rotation covers webhook signing secrets (current and previous): rewrapped, still readable at their places. Both stores. */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openServerKeys } from '../../src/crypto/boot.js';
import { decryptSecret, encryptSecret, envelopeKid } from '../../src/crypto/envelope.js';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import { createKeyRotation } from '../../src/crypto/rotation.js';
import { systemClock } from '../../src/lib/clock.js';
import { migrate } from '../../src/store/migrate.js';
import { endpointSecretPlace } from '../../src/webhooks/endpoints.js';
import { STORE_KINDS, type TestStore, openTestStore } from '../support/stores.js';

const OLD = `old:${randomBytes(32).toString('base64')}`;
const NEW = `new:${randomBytes(32).toString('base64')}`;

describe.each(STORE_KINDS)('key rotation of webhook secrets on %s', (kind) => {
  let ts: TestStore | undefined;
  afterEach(async () => {
    await ts?.close();
    ts = undefined;
  });

  it('rewrap moves both envelope columns to the new key; the secrets read the same', async () => {
    ts = await openTestStore(kind);
    const db = ts.store.db;
    await migrate(db);
    await openServerKeys(db, OLD, systemClock);
    const oldRing = parseMasterKeys(OLD);
    const accountId = randomUUID();
    const id = randomUUID();
    const now = new Date();
    await db.insertInto('accounts').values({ id: accountId, name: 'rot', created_at: now }).execute();
    await db
      .insertInto('webhook_endpoints')
      .values({
        id,
        account_id: accountId,
        url: 'https://hooks.example.com/x',
        description: null,
        event_types: [],
        enabled: true,
        disabled_reason: null,
        secret: encryptSecret(oldRing, 'whsec_current', endpointSecretPlace(accountId, id, 'secret')),
        previous_secret: encryptSecret(
          oldRing,
          'whsec_previous',
          endpointSecretPlace(accountId, id, 'previous_secret'),
        ),
        previous_secret_expires_at: now,
        failing_since: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const rot = createKeyRotation({ db, keyring: parseMasterKeys(`${NEW},${OLD}`) });
    const r = await rot.rewrap();
    expect(r).toMatchObject({ failed: 0, remaining: 0 });
    const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(envelopeKid(row.secret)).toBe('new');
    expect(envelopeKid(row.previous_secret ?? '')).toBe('new');
    const newOnly = parseMasterKeys(NEW);
    expect(decryptSecret(newOnly, row.secret, endpointSecretPlace(accountId, id, 'secret'))).toBe('whsec_current');
    expect(
      decryptSecret(newOnly, row.previous_secret ?? '', endpointSecretPlace(accountId, id, 'previous_secret')),
    ).toBe('whsec_previous');
    expect((await rot.rewrap()).rewrapped).toBe(0);
  });
});
