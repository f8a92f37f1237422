/** 012: the events outbox (docs/events.md): written in the same transaction as the change it describes. */
export const sql = /* sql */ `
-- id is a UUID v7: it sorts by creation, so (account_id, id) pages events in order.
CREATE TABLE events (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX events_account_id ON events (account_id, id);
-- Retention purge (CREDVAULT_EVENT_RETENTION_DAYS).
CREATE INDEX events_created_at ON events (created_at);
`;
