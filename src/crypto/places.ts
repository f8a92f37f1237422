/**
 * The one definition of where each secret lives (docs/security.md, "Secrets at rest"). A place is
 * bound into its ciphertext as associated data (envelope.ts), so a ciphertext copied to another
 * table, account, row or field fails to decrypt. The writers (services) and key rotation
 * (rotation-tables.ts) both build places here: if they ever differed, rewrap would break.
 */

/** The tables that hold secret envelopes. */
export type SecretTable = 'server_secrets' | 'oauth_apps' | 'credentials' | 'idempotency_keys' | 'webhook_endpoints';

/** Where a secret lives. The constructors below fill `table` with a SecretTable; the envelope primitives accept any. */
export interface SecretPlace {
  accountId: string;
  rowId: string;
  field: string;
  table?: SecretTable | (string & {});
}

/** A server-wide secret (canary, fingerprint key): not in any account. */
export function serverSecretPlace(name: string): SecretPlace {
  return { table: 'server_secrets', accountId: '-', rowId: name, field: 'envelope' };
}

/** An OAuth app's client secret (`client_secret`) or one of its secret settings (`settings.<name>`). */
export function oauthAppSecretPlace(
  accountId: string,
  appId: string,
  field: 'client_secret' | `settings.${string}`,
): SecretPlace {
  return { table: 'oauth_apps', accountId, rowId: appId, field };
}

/**
 * Where a credential secret lives: its natural key (account, provider, identity), which a
 * re-import keeps. The row id cannot be used: it is not known before the single upsert statement.
 * `field` is a secret property name, or `cached_token` for a minted/refreshed token cached sealed.
 */
export function credentialSecretPlace(
  accountId: string,
  provider: string,
  identity: string,
  field: string,
): SecretPlace {
  return { table: 'credentials', accountId, rowId: `${provider}:${identity}`, field };
}

/** A stored idempotent answer (its body may carry secrets, e.g. a revealed export). */
export function idempotencyResponsePlace(accountId: string, key: string): SecretPlace {
  return { table: 'idempotency_keys', accountId, rowId: key, field: 'response_body' };
}

/** A webhook endpoint's signing secret, or the previous one kept while a rotation overlaps. */
export function webhookEndpointSecretPlace(
  accountId: string,
  endpointId: string,
  field: 'secret' | 'previous_secret',
): SecretPlace {
  return { table: 'webhook_endpoints', accountId, rowId: endpointId, field };
}
