import type { Selectable, Updateable } from 'kysely';
import type { OAuthAppRow } from '../../oauth-apps/service.js';
import { CREDENTIAL_COLUMNS, type CredentialsTable } from '../../store/schema.js';
import type { PresentableCredential } from '../present.js';

export type CredentialRow = Selectable<CredentialsTable>;
export type CredentialColumn = keyof CredentialsTable;
export type CredentialWithApp = CredentialRow & { app: OAuthAppRow | null };
/** What `get` answers: the presented columns, the version (ETag) and the embedded app. */
export type PresentableCredentialWithApp = PresentableCredential & { version: number; app: OAuthAppRow | null };

/**
 * Every column of credentials, named instead of `*` in prepared RETURNING clauses: a prepared
 * `*` fails ("cached plan must not change result type") once a migration adds a column under a
 * running server.
 */
export const ALL_COLUMNS = Object.keys(CREDENTIAL_COLUMNS) as CredentialColumn[];

/** `col type, ...` for `jsonb_to_recordset(...) AS r(...)`, from the table's one description. */
export function recordsetTypes(columns: readonly CredentialColumn[]): string {
  return columns.map((c) => `${c} ${CREDENTIAL_COLUMNS[c].sql}`).join(', ');
}

/** The row changes a finished check or refresh writes, guarded by lease and version. */
export interface WorkResult {
  health?: Record<string, unknown>;
  healthStatus?: string;
  properties?: Record<string, unknown>;
  secrets?: Record<string, string>;
  identity?: string;
  tokenExpiresAt?: Date | null;
  cachedToken?: string | null;
  nextCheckAt?: Date | null;
  consecutiveFailures?: number;
}

/**
 * Where each result field is stored, and when an absent value keeps the stored one: `set`
 * fields are written whenever given (null clears, 0 counts); the others only when truthy (a
 * result never clears a health, an identity or the secrets).
 */
const RESULT_FIELDS = {
  health: ['health', 'truthy'],
  healthStatus: ['health_status', 'truthy'],
  properties: ['properties', 'truthy'],
  secrets: ['secrets', 'truthy'],
  identity: ['identity', 'truthy'],
  tokenExpiresAt: ['token_expires_at', 'set'],
  cachedToken: ['cached_token', 'set'],
  nextCheckAt: ['next_check_at', 'set'],
  consecutiveFailures: ['consecutive_failures', 'set'],
} as const satisfies { [F in keyof WorkResult]-?: readonly [CredentialColumn, 'truthy' | 'set'] };
type ResultField = keyof typeof RESULT_FIELDS;
export type ResultColumn = (typeof RESULT_FIELDS)[ResultField][0];
/** The result columns in one fixed order (the group key of batched writes). */
export const RESULT_COLUMNS = Object.values(RESULT_FIELDS).map(([c]) => c) as ResultColumn[];

/** The columns a result sets and their values, jsonb as objects; absent fields keep the stored value. */
export function resultValues(r: WorkResult): Partial<Record<ResultColumn, unknown>> {
  const out: Partial<Record<ResultColumn, unknown>> = {};
  for (const field of Object.keys(RESULT_FIELDS) as ResultField[]) {
    const [col, when] = RESULT_FIELDS[field];
    const value = r[field];
    if (when === 'set' ? value !== undefined : value) out[col] = value;
  }
  return out;
}

/** The same columns as an UPDATE's SET binds them: jsonb as JSON text. */
export function resultColumns(r: WorkResult): Updateable<CredentialsTable> {
  const out = resultValues(r);
  for (const col of Object.keys(out) as ResultColumn[])
    if (CREDENTIAL_COLUMNS[col].sql === 'jsonb') out[col] = JSON.stringify(out[col]);
  return out as Updateable<CredentialsTable>;
}

/** The row as a final write leaves it (lease released, version bumped), without reading it back. */
export function afterFinalWrite(row: CredentialRow, r: WorkResult): CredentialRow {
  return {
    ...row,
    ...(resultValues(r) as Partial<CredentialRow>),
    lease_owner: null,
    lease_expires_at: null,
    version: row.version + 1,
  };
}
