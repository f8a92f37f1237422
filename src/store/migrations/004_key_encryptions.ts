/** 004: how many encryptions each master key has performed, over every node and restart (docs/security.md C5). */
export const sql = /* sql */ `
-- Random 96-bit IVs stay safe for about 2^32 encryptions under one key; nodes add what they
-- sealed here every few seconds, and \`credvault keys status\` warns well before the limit.
CREATE TABLE key_encryptions (
  kid text PRIMARY KEY,
  encryptions bigint NOT NULL,
  updated_at timestamptz NOT NULL
);
`;
