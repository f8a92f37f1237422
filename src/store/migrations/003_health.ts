/** 003: health scheduling, leases for single-flight checks and refreshes, cached tokens. */
export const sql = /* sql */ `
-- When the scheduler should next check (or proactively refresh) the credential; null = never.
ALTER TABLE credentials ADD COLUMN next_check_at timestamptz DEFAULT now();
-- A node holding the lease is the only one checking or refreshing this credential.
ALTER TABLE credentials ADD COLUMN lease_owner text;
ALTER TABLE credentials ADD COLUMN lease_expires_at timestamptz;
-- Expiry of the current access token (from expires_at/expires_in or the last refresh).
ALTER TABLE credentials ADD COLUMN token_expires_at timestamptz;
-- Envelope of an access token minted for kinds without an access_token property (GitHub App installation tokens).
ALTER TABLE credentials ADD COLUMN cached_token text;
ALTER TABLE credentials ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
CREATE INDEX credentials_due ON credentials (next_check_at) WHERE next_check_at IS NOT NULL;
`;
