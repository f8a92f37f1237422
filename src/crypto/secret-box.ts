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

/** The narrow interface services use to seal and open secrets (built from the keyring in main.ts). */
export interface SecretBox {
  seal(plaintext: string, place: SecretPlace): string;
  open(envelope: string, place: SecretPlace): string;
}

export const CREDENTIAL_MASK = '***********';
export const CLIENT_SECRET_MASK = '**********';
