/** Exporting credentials as import bodies (GET /v1/credentials/export, `credentials export`). */
import { DecryptError } from '../crypto/envelope.js';
import { credentialSecretPlace } from '../crypto/places.js';
import { CREDENTIAL_MASK, type SecretBox } from '../crypto/secret-box.js';
import type { CredentialRepository } from './repository/index.js';

/** One credential as an import body: what `credentials export` writes and `credentials import` reads. */
export interface ExportedCredential {
  name: string | null;
  properties: Record<string, unknown>;
  oauth_app_id: string | null;
  metadata: Record<string, unknown>;
  /** Set instead of the secrets when they cannot be decrypted: the rest of the page still answers. */
  error?: { credential_id: string; summary: string };
}

export interface ExportQuery {
  includeSecrets: boolean;
  limit: number;
  cursor?: string | undefined;
  /** Called with the credentials whose secrets are about to be answered in plaintext (audit). */
  onReveal?: (revealed: { id: string; fields: string[] }[]) => Promise<void>;
}

export function createExportOperations({ repo, box }: { repo: CredentialRepository; box: SecretBox }) {
  return {
    /**
     * A page of credentials as import bodies, newest first. Secrets are masked unless
     * `includeSecrets`; then `onReveal` runs (the audit) before any plaintext is answered.
     */
    async exportPage(
      accountId: string,
      q: ExportQuery,
    ): Promise<{ data: ExportedCredential[]; next_cursor: string | null }> {
      const page = await repo.list(accountId, {}, q.limit, q.cursor);
      const unreadable = new Set<string>();
      const data = page.rows.map((row): ExportedCredential => {
        const properties: Record<string, unknown> = { kind: row.kind, ...row.properties };
        try {
          for (const [field, sealed] of Object.entries(row.secrets)) {
            properties[field] = q.includeSecrets
              ? box.open(sealed, credentialSecretPlace(accountId, row.provider, row.identity, field))
              : CREDENTIAL_MASK;
          }
        } catch (err) {
          if (!(err instanceof DecryptError)) throw err;
          // One envelope that cannot be opened (a removed key, damage) fails its item, not the page.
          unreadable.add(row.id);
          const plain: Record<string, unknown> = { kind: row.kind, ...row.properties };
          return {
            name: row.name,
            properties: plain,
            oauth_app_id: row.oauth_app_id,
            metadata: row.metadata,
            error: {
              credential_id: row.id,
              summary:
                'The secrets of this credential cannot be decrypted with the configured master keys (see `credvault keys status`); they are left out.',
            },
          };
        }
        return { name: row.name, properties, oauth_app_id: row.oauth_app_id, metadata: row.metadata };
      });
      if (q.includeSecrets && q.onReveal) {
        const revealed = page.rows
          .filter((r) => Object.keys(r.secrets).length > 0 && !unreadable.has(r.id))
          .map((r) => ({ id: r.id, fields: Object.keys(r.secrets) }));
        if (revealed.length > 0) await q.onReveal(revealed);
      }
      return { data, next_cursor: page.next_cursor };
    },
  };
}
