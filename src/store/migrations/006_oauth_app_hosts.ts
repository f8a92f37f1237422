/**
 * 006: the hosts each OAuth app's client secret has been sent to (issue 13 item 1), and the
 * indexes fair claims use (item 7): due rows by account, leased rows by account.
 */
export const sql = /* sql */ `
-- The first use of an app's secret toward a host is an audit event (oauth_app.secret_sent_to_new_host);
-- this table is how a node knows a host is not new.
CREATE TABLE oauth_app_hosts (
  oauth_app_id uuid NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
  host text NOT NULL,
  first_used_at timestamptz NOT NULL,
  PRIMARY KEY (oauth_app_id, host)
);
CREATE INDEX credentials_account_due ON credentials (account_id, next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX credentials_account_leased ON credentials (account_id) WHERE lease_owner IS NOT NULL;
`;
