/**
 * 010: Connect flows (docs: Connect). One row per start-auth: the single-use link, the state
 * sent to the provider, the browser's flow cookie, the PKCE verifier (sealed) and the
 * single-use exchange code. Every token is stored as a SHA-256 digest, never as given.
 */
export const sql = /* sql */ `
CREATE TABLE connect_sessions (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  status text NOT NULL,
  credential_kind text NOT NULL,
  provider text NOT NULL,
  oauth_app_id uuid REFERENCES oauth_apps(id) ON DELETE CASCADE,
  redirect_url text NOT NULL,
  request jsonb NOT NULL,
  link_digest bytea NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  link_used_at timestamptz,
  state_digest bytea UNIQUE,
  cookie_digest bytea,
  csrf_digest bytea,
  verifier text,
  code_digest bytea UNIQUE,
  code_expires_at timestamptz,
  code_used_at timestamptz,
  credential_id uuid,
  error jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX connect_sessions_account ON connect_sessions (account_id, created_at DESC, id DESC);
`;
