/**
 * 015: which master key seals new secrets is recorded in the database (changed by
 * `credvault keys promote KID`), and each node reports the key ids it holds, so a promotion
 * is refused while a live node lacks the key (README "Key rotation").
 */
export const sql = /* sql */ `
CREATE TABLE key_primary (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  kid text NOT NULL,
  promoted_at timestamptz NOT NULL
);
CREATE TABLE node_keys (
  node_id text PRIMARY KEY,
  kids jsonb NOT NULL,
  primary_kid text NOT NULL,
  heartbeat_at timestamptz NOT NULL
);
`;
