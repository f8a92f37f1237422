/** Exporting credentials as import bodies (GET /v1/credentials/export, `credentials export`). */
import { credentialSecretPlace } from '../crypto/places.js';
import { CREDENTIAL_MASK, type SecretBox } from '../crypto/secret-box.js';
import type { CredentialRepository } from './repository.js';

/** One credential as an import body: what `credentials export` writes and `credentials import` reads. */
export interface ExportedCredential {
  name: string | null;
  properties: Record<string, unknown>;
  oauth_app_id: string | null;
  metadata: Record<string, unknown>;
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
    async exportPage(accountId: string, q: ExportQuery): Promise<{ data: ExportedCredential[]; next_cursor: string | null }> {
      const page = await repo.list(accountId, {}, q.limit, q.cursor);
      const data = page.rows.map((row) => {
        const properties: Record<string, unknown> = { kind: row.kind, ...row.properties };
        for (const [field, sealed] of Object.entries(row.secrets)) {
          properties[field] = q.includeSecrets
            ? box.open(sealed, credentialSecretPlace(accountId, row.provider, row.identity, field))
            : CREDENTIAL_MASK;
        }
        return { name: row.name, properties, oauth_app_id: row.oauth_app_id, metadata: row.metadata };
      });
      if (q.includeSecrets && q.onReveal) {
        const revealed = page.rows.filter((r) => Object.keys(r.secrets).length > 0).map((r) => ({ id: r.id, fields: Object.keys(r.secrets) }));
        if (revealed.length > 0) await q.onReveal(revealed);
      }
      return { data, next_cursor: page.next_cursor };
    },
  };
}
