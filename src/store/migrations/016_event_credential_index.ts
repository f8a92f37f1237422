/**
 * 016: a credential's history (`GET /v1/events?credential_id=`, the console's credential page)
 * is read by this index, not by scanning the account's events (docs/events.md, "Events").
 * Partial: only credential events name a credential in `data.id`.
 */
export const sql = /* sql */ `
CREATE INDEX events_credential_id ON events (account_id, (data->>'id'), id)
  WHERE starts_with(type, 'credential.');
`;
