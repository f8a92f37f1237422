import { DecryptError } from '../crypto/envelope.js';
import { credentialSecretPlace } from '../crypto/secret-box.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { RecentOpened } from '../crypto/recent-opened.js';
import type { WorkRow } from './store.js';

/**
 * Opens, seals and re-places the secrets of a credential row (AAD = account, provider, identity,
 * field). The token fields (openField, openCached: what access-token and the proxy answer with)
 * go through `recent` when given (crypto/recent-opened.ts).
 */
export function credentialSecrets(box: SecretBox, recent?: RecentOpened) {
  const place = (row: Pick<WorkRow, 'account_id' | 'provider'>, identity: string, field: string) =>
    credentialSecretPlace(row.account_id, row.provider, identity, field);
  const openOne = recent
    ? (env: string, at: ReturnType<typeof place>) => recent.open(env, at, () => box.open(env, at))
    : (env: string, at: ReturnType<typeof place>) => box.open(env, at);
  return {
    openAll(row: WorkRow): Record<string, string> {
      const out: Record<string, string> = {};
      for (const [field, env] of Object.entries(row.secrets))
        out[field] = box.open(env, place(row, row.identity, field));
      return out;
    },
    /** One secret of the row, or undefined when the row has none under that name. */
    openField(row: WorkRow, field: string): string | undefined {
      const env = row.secrets[field];
      return env === undefined ? undefined : openOne(env, place(row, row.identity, field));
    },
    seal(row: WorkRow, identity: string, field: string, value: string): string {
      return box.seal(value, place(row, identity, field));
    },
    /** Re-seals every secret under a new identity (the place is part of the AAD). */
    reseal(row: WorkRow, plain: Record<string, string>, identity: string): Record<string, string> {
      const out: Record<string, string> = {};
      for (const [field, value] of Object.entries(plain)) out[field] = box.seal(value, place(row, identity, field));
      return out;
    },
    /**
     * The cached access token, or undefined when there is none or it cannot be opened (sealed
     * under a key no longer configured, or damaged): it is only a cache, so it is made again.
     */
    openCached(row: WorkRow): string | undefined {
      if (!row.cached_token) return undefined;
      try {
        return openOne(row.cached_token, place(row, row.identity, 'cached_token'));
      } catch (err) {
        if (err instanceof DecryptError) return undefined;
        throw err;
      }
    },
    sealCached(row: WorkRow, identity: string, token: string): string {
      return box.seal(token, place(row, identity, 'cached_token'));
    },
  };
}

export type CredentialSecrets = ReturnType<typeof credentialSecrets>;
