/**
 * Where a secret lives; bound into the ciphertext as associated data, so a ciphertext copied
 * to another row, field, table or account fails to decrypt.
 */
export interface SecretPlace {
  table: string;
  accountId: string;
  rowId: string;
  field: string;
}

/**
 * Where a credential secret lives: its natural key (account, provider, identity), which a
 * re-import keeps. The row id cannot be used: it is not known before the single upsert statement.
 */
export function credentialSecretPlace(accountId: string, provider: string, identity: string, field: string): SecretPlace {
  return { table: 'credentials', accountId, rowId: `${provider}:${identity}`, field };
}

/** The narrow interface services use to seal and open secrets (built from the keyring in main.ts). */
export interface SecretBox {
  seal(plaintext: string, place: SecretPlace): string;
  open(envelope: string, place: SecretPlace): string;
}

export const CREDENTIAL_MASK = '***********';
export const CLIENT_SECRET_MASK = '**********';
