/** 005: each master key id's fingerprint, recorded the first time a node sees the kid (issue 13 item 5). */
export const sql = /* sql */ `
-- fingerprint = HMAC-SHA256(key, fixed label), hex (src/crypto/keyring.ts): reveals nothing about
-- the key, but two keys with one kid and different material differ here, and a node refuses to start.
CREATE TABLE key_fingerprints (
  kid text PRIMARY KEY,
  fingerprint text NOT NULL,
  first_seen_at timestamptz NOT NULL
);
`;
