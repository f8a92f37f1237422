/** 002: master keys retired by `credvault keys retire` (docs/security.md C4). */
export const sql = /* sql */ `
-- A kid retired once no secret used it any more. A retired kid may never be the primary again:
-- the server refuses to start with it first in CREDVAULT_MASTER_KEYS.
CREATE TABLE retired_keys (
  kid text PRIMARY KEY,
  retired_at timestamptz NOT NULL
);
`;
