/** Key rotation and the writing services build every secret's place from crypto/places.ts. */
import { describe, expect, it } from 'vitest';
import {
  credentialSecretPlace,
  idempotencyResponsePlace,
  oauthAppSecretPlace,
  serverSecretPlace,
  webhookEndpointSecretPlace,
} from '../../src/crypto/places.js';
import { TABLES } from '../../src/crypto/rotation-tables.js';

const table = (name: string) => {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`no rotation table ${name}`);
  return t;
};

describe('secret places', () => {
  it('rotation re-places each envelope exactly where its writer put it', () => {
    expect(table('server_secrets').place({ name: 'canary' }, 'envelope', undefined)).toEqual(
      serverSecretPlace('canary'),
    );
    const app = { id: 'app-1', account_id: 'acc-1' };
    expect(table('oauth_apps').place(app, 'client_secret', undefined)).toEqual(
      oauthAppSecretPlace('acc-1', 'app-1', 'client_secret'),
    );
    expect(table('oauth_apps').place(app, 'settings_secrets', 'private_key')).toEqual(
      oauthAppSecretPlace('acc-1', 'app-1', 'settings.private_key'),
    );
    const cred = { id: 'c-1', account_id: 'acc-1', provider: 'stripe', identity: 'account:acct_1' };
    expect(table('credentials').place(cred, 'secrets', 'secret')).toEqual(
      credentialSecretPlace('acc-1', 'stripe', 'account:acct_1', 'secret'),
    );
    expect(table('idempotency_keys').place({ account_id: 'acc-1', key: 'k' }, 'response_body', undefined)).toEqual(
      idempotencyResponsePlace('acc-1', 'k'),
    );
    const hook = { id: 'wh-1', account_id: 'acc-1' };
    expect(table('webhook_endpoints').place(hook, 'secret', undefined)).toEqual(
      webhookEndpointSecretPlace('acc-1', 'wh-1', 'secret'),
    );
    expect(table('webhook_endpoints').place(hook, 'previous_secret', undefined)).toEqual(
      webhookEndpointSecretPlace('acc-1', 'wh-1', 'previous_secret'),
    );
  });

  it('covers every table rotation knows, each with its own table name', () => {
    const places = [
      serverSecretPlace('n'),
      oauthAppSecretPlace('a', 'b', 'client_secret'),
      credentialSecretPlace('a', 'p', 'i', 'f'),
      idempotencyResponsePlace('a', 'k'),
      webhookEndpointSecretPlace('a', 'w', 'secret'),
    ];
    expect(places.map((p) => p.table).sort()).toEqual(TABLES.map((t) => t.name).sort());
  });
});
