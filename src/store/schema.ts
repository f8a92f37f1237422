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

export interface CredentialsTable {
  id: string;
  account_id: string;
  provider: string;
  kind: string;
  identity: string;
  name: string | null;
  oauth_app_id: string | null;
  properties: Json<JsonObject>;
  secrets: Json<Record<string, string>>;
  metadata: Json<JsonObject>;
  health_status: string;
  health: Json<JsonObject>;
  version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  next_check_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lease_owner: ColumnType<string | null, string | null | undefined, string | null>;
  lease_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  token_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  cached_token: ColumnType<string | null, string | null | undefined, string | null>;
  consecutive_failures: Generated<number>;
}

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
