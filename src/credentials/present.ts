import { CREDENTIAL_MASK } from '../crypto/secret-box.js';
import { readHealth } from '../health/model.js';
import { isoSeconds } from '../lib/clock.js';
import { type OAuthAppRow, presentEmbeddedOAuthApp } from '../oauth-apps/service.js';
import type { CredentialView } from './schemas.js';
import type { Selectable } from 'kysely';
import type { CredentialsTable } from '../store/schema.js';

/** The columns presentCredential reads (the credential GET selects only these, plus version). */
export const PRESENTED_COLUMNS = [
  'id',
  'name',
  'provider',
  'kind',
  'oauth_app_id',
  'properties',
  'secrets',
  'health',
  'metadata',
  'created_at',
  'updated_at',
] as const;
export type PresentableCredential = Pick<Selectable<CredentialsTable>, (typeof PRESENTED_COLUMNS)[number]>;

/** The allowlisted answer for a credential: secrets appear only as the 11-asterisk mask. */
export function presentCredential(row: PresentableCredential, app: OAuthAppRow | null): CredentialView {
  const properties: Record<string, unknown> = { kind: row.kind, ...row.properties };
  for (const field of Object.keys(row.secrets)) properties[field] = CREDENTIAL_MASK;
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    kind: row.kind,
    oauth_app_id: row.oauth_app_id,
    oauth_app: app ? presentEmbeddedOAuthApp(app) : null,
    properties,
    // One shape whether checked or not (older rows and fresh imports lack some members).
    health: readHealth(row.health, new Date(row.updated_at)),
    metadata: row.metadata,
    created_at: isoSeconds(new Date(row.created_at)),
    updated_at: isoSeconds(new Date(row.updated_at)),
  };
}
