/** 001: accounts, tokens, server secrets, OAuth apps, credentials, idempotency, audit. */
export const sql = /* sql */ `
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE api_tokens (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name text NOT NULL,
  -- SHA-256 of the whole token; the plaintext is never stored.
  token_hash bytea NOT NULL UNIQUE,
  -- First characters of the token, shown in lists so a leaked token can be recognised.
  token_prefix text NOT NULL,
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at DESC, id DESC);

-- Server-wide secrets (the key canary, the fingerprint HMAC key), each an envelope.
CREATE TABLE server_secrets (
  name text PRIMARY KEY,
  envelope text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE oauth_apps (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name text NOT NULL,
  provider text NOT NULL,
  client_id text NOT NULL,
  client_secret text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  -- field name -> envelope, for the secret members of settings
  settings_secrets jsonb NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  health jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX oauth_apps_account ON oauth_apps (account_id, created_at DESC, id DESC);

CREATE TABLE credentials (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  provider text NOT NULL,
  kind text NOT NULL,
  -- Normalized provider-account identity: the upsert key (kinds.md).
  identity text NOT NULL,
  name text,
  oauth_app_id uuid REFERENCES oauth_apps(id) ON DELETE RESTRICT,
  -- Non-secret properties as imported or learned.
  properties jsonb NOT NULL,
  -- field name -> envelope for every secret property.
  secrets jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}',
  health_status text NOT NULL DEFAULT 'pending',
  health jsonb NOT NULL,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT credentials_identity UNIQUE (account_id, provider, identity)
);
CREATE INDEX credentials_account ON credentials (account_id, created_at DESC, id DESC);
CREATE INDEX credentials_oauth_app ON credentials (oauth_app_id);
CREATE INDEX credentials_metadata ON credentials USING gin (metadata jsonb_path_ops);

CREATE TABLE idempotency_keys (
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key text NOT NULL,
  request_hash text NOT NULL,
  -- null while the first request is still running
  response_status integer,
  response_body text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE audit_events (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  actor_token_id uuid,
  action text NOT NULL,
  credential_id uuid,
  oauth_app_id uuid,
  detail jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, created_at DESC, id DESC);
`;
