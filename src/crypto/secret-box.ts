import type { SecretPlace } from './places.js';

export { type SecretPlace, credentialSecretPlace } from './places.js';

/** The narrow interface services use to seal and open secrets (built from the keyring in main.ts). */
export interface SecretBox {
  seal(plaintext: string, place: SecretPlace): string;
  open(envelope: string, place: SecretPlace): string;
}

export const CREDENTIAL_MASK = '***********';
export const CLIENT_SECRET_MASK = '**********';
