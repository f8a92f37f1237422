import type { ColumnType, Generated } from 'kysely';

/** JSON objects as stored in jsonb columns. */
export type JsonObject = { [key: string]: unknown };
type Json<T> = ColumnType<T, T | string, T | string>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface AccountsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  account_id: string;
  name: string;
  token_hash: Buffer;
  token_prefix: string;
  scopes: string[];
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

export interface ServerSecretsTable {
  name: string;
  envelope: string;
  created_at: Timestamp;
}

export interface OAuthAppsTable {
  id: string;
  account_id: string;
  name: string;
  provider: string;
  client_id: string;
  client_secret: string;
  settings: Json<JsonObject>;
  settings_secrets: Json<Record<string, string>>;
  metadata: Json<JsonObject>;
  health: Json<JsonObject>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Where a Connect flow of this app may end (exact match); migration 011. */
  redirect_urls: ColumnType<string[], string | undefined, string>;
}

/** A column's SQL type: what a `jsonb_to_recordset(...) AS r(col type, ...)` list names. */
export type SqlType = 'uuid' | 'text' | 'jsonb' | 'int4' | 'timestamptz';
declare const columnType: unique symbol;
/** A column: its SQL type at run time, its Kysely type (select, insert, update) for the compiler. */
export interface Column<T> {
  readonly sql: SqlType;
  readonly [columnType]?: T;
}
const column = <T>(sql: SqlType): Column<T> => ({ sql });
/** The Kysely table type of a column description. */
export type TableOf<C> = { [K in keyof C]: C[K] extends Column<infer T> ? T : never };
type Optional<T> = ColumnType<T | null, T | string | null | undefined, T | string | null>;

/**
 * The credentials table, described once (docs/architecture.md "Storage"): its Kysely type is
 * derived from this, and so are the repository's column lists (RETURNING, jsonb_to_recordset).
 * The DDL itself is the migrations'.
 */
export const CREDENTIAL_COLUMNS = {
  id: column<string>('uuid'),
  account_id: column<string>('uuid'),
  provider: column<string>('text'),
  kind: column<string>('text'),
  identity: column<string>('text'),
  name: column<string | null>('text'),
  oauth_app_id: column<string | null>('uuid'),
  properties: column<Json<JsonObject>>('jsonb'),
  secrets: column<Json<Record<string, string>>>('jsonb'),
  metadata: column<Json<JsonObject>>('jsonb'),
  health_status: column<string>('text'),
  health: column<Json<JsonObject>>('jsonb'),
  version: column<Generated<number>>('int4'),
  created_at: column<Timestamp>('timestamptz'),
  updated_at: column<Timestamp>('timestamptz'),
  next_check_at: column<Optional<Date>>('timestamptz'),
  lease_owner: column<ColumnType<string | null, string | null | undefined, string | null>>('text'),
  lease_expires_at: column<Optional<Date>>('timestamptz'),
  token_expires_at: column<Optional<Date>>('timestamptz'),
  cached_token: column<ColumnType<string | null, string | null | undefined, string | null>>('text'),
  consecutive_failures: column<Generated<number>>('int4'),
};
export type CredentialsTable = TableOf<typeof CREDENTIAL_COLUMNS>;

export interface IdempotencyKeysTable {
  account_id: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  created_at: Timestamp;
}

export interface AuditEventsTable {
  id: string;
  account_id: string;
  actor_token_id: string | null;
  action: string;
  credential_id: string | null;
  oauth_app_id: string | null;
  detail: Json<JsonObject>;
  created_at: Timestamp;
}

export interface KeyFingerprintsTable {
  kid: string;
  fingerprint: string;
  first_seen_at: Timestamp;
}

export interface OAuthAppHostsTable {
  oauth_app_id: string;
  host: string;
  first_used_at: Timestamp;
}

export interface EventsTable {
  id: string;
  account_id: string;
  type: string;
  data: Json<JsonObject>;
  created_at: Timestamp;
}

export interface WebhookEndpointsTable {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConnectSessionsTable {
  id: string;
  account_id: string;
  status: string;
  credential_kind: string;
  provider: string;
  oauth_app_id: string | null;
  redirect_url: string;
  request: Json<JsonObject>;
  link_digest: Buffer;
  expires_at: Timestamp;
  link_used_at: Timestamp | null;
  state_digest: Buffer | null;
  cookie_digest: Buffer | null;
  csrf_digest: Buffer | null;
  verifier: string | null;
  code_digest: Buffer | null;
  code_expires_at: Timestamp | null;
  code_used_at: Timestamp | null;
  credential_id: string | null;
  error: Json<JsonObject> | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  event_id: string;
  endpoint_id: string;
  status: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempted_at: Timestamp;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Timestamp;
}

export interface Database {
  accounts: AccountsTable;
  api_tokens: ApiTokensTable;
  server_secrets: ServerSecretsTable;
  oauth_apps: OAuthAppsTable;
  credentials: CredentialsTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_events: AuditEventsTable;
  key_fingerprints: KeyFingerprintsTable;
  oauth_app_hosts: OAuthAppHostsTable;
  connect_sessions: ConnectSessionsTable;
  credvault_migrations: SchemaMigrationsTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
