/**
 * Nango connections → credvault import bodies (`credvault credentials import --from nango`).
 *
 * Input: one connection object as Nango's `GET /connection/{connectionId}` answers it
 * (https://nango.dev/docs/reference/backend/http-api/connection/get): `connection_id`,
 * `provider_config_key`, `provider`, `connection_config` (per-provider values such as
 * Salesforce's `instance_url`), `metadata`, and `credentials`, whose shape depends on the
 * auth mode: OAUTH2 `{type, access_token, refresh_token, expires_at, raw}`, API_KEY
 * `{type, apiKey}`, BASIC `{type, username, password}`, OAUTH2_CC `{type, token, client_id,
 * client_secret, expires_at}`, APP `{type, access_token, expires_at, raw}`. Per-provider
 * fields come from Nango's providers.yaml (https://github.com/NangoHQ/nango, packages/providers).
 */
import { KIND_SPECS } from '../../providers/registry.js';
import type { Kind, Provider } from '../../providers/registry.js';

export type Json = Record<string, unknown>;

export interface NangoMapOptions {
  /** OAuth app id per credvault provider, for the kinds that need one (`--oauth-app salesforce=<id>`). */
  oauthApps: Partial<Record<string, string>>;
}

export type NangoMapResult = { ok: true; body: Json } | { ok: false; reason: string };

/** What one provider mapping produces: the kind's properties, or why the data does not allow it. */
type Mapped = { kind: Kind; props: Json } | { reason: string };

interface Conn {
  provider: string;
  config: Json;
  creds: Json;
  raw: Json;
}

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/** Drops absent values so only what Nango had is imported. */
function defined(props: Record<string, unknown>): Json {
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
}

/** The OAuth2 token fields shared by every `*_oauth2` kind. */
function oauthTokens(c: Conn) {
  return {
    access_token: str(c.creds.access_token),
    refresh_token: str(c.creds.refresh_token),
    expires_at: str(c.creds.expires_at),
  };
}

function need(c: Conn, type: string): string | undefined {
  const actual = str(c.creds.type) ?? 'none';
  return actual === type
    ? undefined
    : `credentials.type is ${actual}; ${c.provider} is mapped from ${type} credentials`;
}

function missing(field: string): { reason: string } {
  return { reason: `the connection has no ${field}` };
}

/** Space-separated scopes, whether Nango kept them as a string or an array. */
function scopeString(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.filter((s) => typeof s === 'string').join(' ');
  return str(v);
}

// https://nango.dev/docs/api-integrations/salesforce — instance_url is kept in connection_config;
// raw.id is the identity URL https://login.salesforce.com/id/<org id>/<user id>.
function salesforce(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const instance_url = str(c.config.instance_url) ?? str(c.raw.instance_url);
  if (!instance_url) return missing('connection_config.instance_url');
  const t = oauthTokens(c);
  if (!t.refresh_token) return missing('credentials.refresh_token');
  const [orgId, userId] = (str(c.raw.id) ?? '').split('/').slice(-2);
  return {
    kind: 'salesforce_oauth2',
    props: defined({ instance_url, ...t, org_id: orgId || undefined, user_id: userId || undefined }),
  };
}

// https://nango.dev/docs/api-integrations/hubspot — a post-connection script stores the portal id (hub id).
function hubspot(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const hub_id = str(c.config.portalId) ?? str(c.raw.hub_id);
  if (!hub_id) return missing('connection_config.portalId');
  const t = oauthTokens(c);
  if (!t.refresh_token) return missing('credentials.refresh_token');
  const scopes = (scopeString(c.raw.scopes) ?? scopeString(c.raw.scope) ?? str(c.config.oauth_scopes) ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
  return { kind: 'hubspot_oauth2', props: defined({ hub_id, ...t, scopes }) };
}

// https://nango.dev/docs/api-integrations/github-app — connection_config holds installation_id (and app_id).
// The installation token Nango keeps expires within the hour; credvault mints its own from the App.
function githubApp(c: Conn): Mapped {
  const installation_id = str(c.config.installation_id);
  if (!installation_id) return missing('connection_config.installation_id');
  return { kind: 'github_app', props: { installation_id } };
}

// https://nango.dev/docs/api-integrations/airtable — the token answer's scope is space-separated.
function airtable(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const t = oauthTokens(c);
  if (!t.refresh_token) return missing('credentials.refresh_token');
  const scope = scopeString(c.raw.scope);
  if (scope === undefined) return missing('credentials.raw.scope');
  return { kind: 'airtable_oauth2', props: defined({ ...t, scope }) };
}

// https://nango.dev/docs/api-integrations/linear — Linear answers scope as an array of strings.
function linear(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const t = oauthTokens(c);
  if (!t.access_token) return missing('credentials.access_token');
  const scope = scopeString(c.raw.scope);
  if (scope === undefined) return missing('credentials.raw.scope');
  return { kind: 'linear_oauth2', props: defined({ ...t, scope }) };
}

// https://nango.dev/docs/api-integrations/shopify (OAUTH2) and /shopify-api-key (API_KEY):
// connection_config.subdomain is the shop name before .myshopify.com.
function shopify(c: Conn): Mapped {
  const sub = str(c.config.subdomain);
  if (!sub) return missing('connection_config.subdomain');
  const access_token = str(c.creds.access_token) ?? str(c.creds.apiKey);
  if (!access_token) return missing('credentials.access_token (or apiKey)');
  const expires_at = str(c.creds.type) === 'OAUTH2' ? str(c.creds.expires_at) : undefined;
  return {
    kind: 'shopify_oauth2',
    props: defined({
      shop: `${sub.toLowerCase()}.myshopify.com`,
      access_token,
      scope: scopeString(c.raw.scope),
      expires_at,
    }),
  };
}

// https://nango.dev/docs/api-integrations/quickbooks — the realmId arrives on the OAuth callback;
// the quickbooks-sandbox integration talks to the sandbox environment.
function quickbooks(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const realm_id = str(c.config.realmId);
  if (!realm_id) return missing('connection_config.realmId');
  const t = oauthTokens(c);
  if (!t.refresh_token) return missing('credentials.refresh_token');
  return {
    kind: 'quickbooks_oauth2',
    props: defined({ realm_id, ...t, environment: c.provider.endsWith('sandbox') ? 'sandbox' : 'production' }),
  };
}

// https://nango.dev/docs/api-integrations/stripe-api-key (BASIC: the restricted key is the username,
// connection_config.context the acct_ id), API_KEY connections, and Stripe Connect OAuth
// (stripe, stripe-express: the token answer carries stripe_user_id and livemode).
function stripe(c: Conn): Mapped {
  const type = str(c.creds.type);
  if (type === 'BASIC' || type === 'API_KEY') {
    const secret = type === 'BASIC' ? str(c.creds.username) : str(c.creds.apiKey);
    if (!secret) return missing(type === 'BASIC' ? 'credentials.username (the API key)' : 'credentials.apiKey');
    const context = str(c.config.context);
    return {
      kind: 'stripe_key',
      props: defined({ secret, account_id: context && /^acct_[A-Za-z0-9]+$/.test(context) ? context : undefined }),
    };
  }
  if (type !== 'OAUTH2')
    return { reason: `credentials.type ${type ?? 'none'} is not a Stripe key or Stripe Connect OAuth` };
  const stripe_user_id = str(c.raw.stripe_user_id) ?? str(c.config.stripe_user_id);
  if (!stripe_user_id) return missing('credentials.raw.stripe_user_id');
  const livemode = typeof c.raw.livemode === 'boolean' ? c.raw.livemode : undefined;
  return {
    kind: 'stripe_oauth2',
    props: defined({ stripe_user_id, ...oauthTokens(c), livemode, scope: str(c.raw.scope) }),
  };
}

// https://nango.dev/docs/integrations/all/sendgrid — API_KEY.
function sendgrid(c: Conn): Mapped {
  const wrong = need(c, 'API_KEY');
  if (wrong) return { reason: wrong };
  const api_key = str(c.creds.apiKey);
  if (!api_key) return missing('credentials.apiKey');
  return { kind: 'sendgrid_key', props: { api_key } };
}

// https://nango.dev/docs/api-integrations/servicenow — connection_config.hostname (older: subdomain).
function servicenow(c: Conn): Mapped {
  const wrong = need(c, 'OAUTH2');
  if (wrong) return { reason: wrong };
  const host =
    str(c.config.hostname) ?? (str(c.config.subdomain) ? `${str(c.config.subdomain)}.service-now.com` : undefined);
  if (!host) return missing('connection_config.hostname');
  // credvault keeps only the refresh token for ServiceNow and mints access tokens itself.
  const refresh_token = str(c.creds.refresh_token);
  if (!refresh_token) return missing('credentials.refresh_token');
  return {
    kind: 'servicenow_oauth2',
    props: defined({ instance_url: `https://${host}`, refresh_token, username: str(c.config.username) }),
  };
}

// https://nango.dev/docs/integrations/all/auth0-cc — OAUTH2_CC with connection_config.hostname.
// (Nango's `auth0` is a user login, which has no credvault kind.)
function auth0(c: Conn): Mapped {
  if (c.provider === 'auth0')
    return {
      reason:
        'auth0 user-login connections have no credvault kind; only auth0-cc (client credentials) maps to auth0_client_credentials',
    };
  const wrong = need(c, 'OAUTH2_CC');
  if (wrong) return { reason: wrong };
  const domain = str(c.config.hostname);
  if (!domain) return missing('connection_config.hostname');
  const client_id = str(c.creds.client_id);
  const client_secret = str(c.creds.client_secret);
  if (!client_id || !client_secret) return missing('credentials.client_id and client_secret');
  return { kind: 'auth0_client_credentials', props: { domain, client_id, client_secret } };
}

/** Nango provider (integration template) names → mapping. */
export const NANGO_PROVIDERS: Record<string, (c: Conn) => Mapped> = {
  salesforce,
  'salesforce-sandbox': salesforce,
  hubspot,
  'github-app': githubApp,
  'github-app-oauth': githubApp,
  airtable,
  linear,
  shopify,
  'shopify-api-key': shopify,
  quickbooks,
  'quickbooks-sandbox': quickbooks,
  stripe,
  'stripe-express': stripe,
  'stripe-api-key': stripe,
  sendgrid,
  servicenow,
  auth0,
  'auth0-cc': auth0,
};

/** Maps one Nango connection object to an import body, or says why it cannot. */
export function mapNangoConnection(value: unknown, opts: NangoMapOptions): NangoMapResult {
  const conn = obj(value);
  const connectionId = str(conn.connection_id);
  const provider = str(conn.provider) ?? str(conn.provider_config_key);
  if (!connectionId || !provider)
    return { ok: false, reason: 'not a Nango connection object (connection_id and provider are required)' };
  const mapper = NANGO_PROVIDERS[provider];
  if (!mapper)
    return {
      ok: false,
      reason: `Nango provider "${provider}" has no credvault mapping (mapped: ${Object.keys(NANGO_PROVIDERS).join(', ')})`,
    };
  const creds = obj(conn.credentials);
  const mapped = mapper({ provider, config: obj(conn.connection_config), creds, raw: obj(creds.raw) });
  if ('reason' in mapped) return { ok: false, reason: `${provider} connection ${connectionId}: ${mapped.reason}` };
  const spec = KIND_SPECS[mapped.kind];
  const appId = opts.oauthApps[spec.provider];
  if (spec.oauthApp === 'required' && !appId) {
    return {
      ok: false,
      reason: `kind ${mapped.kind} needs an OAuth app: pass --oauth-app ${spec.provider}=<OAuth app id>`,
    };
  }
  const metadata = {
    ...obj(conn.metadata),
    nango_connection_id: connectionId,
    nango_provider_config_key: str(conn.provider_config_key) ?? provider,
  };
  return {
    ok: true,
    body: {
      name: connectionId,
      properties: { kind: mapped.kind, ...mapped.props },
      ...(appId ? { oauth_app_id: appId } : {}),
      metadata,
    },
  };
}

/** `salesforce=<id>` pairs from repeated --oauth-app options, keyed by credvault provider. */
export function parseOAuthAppOptions(
  pairs: string[],
  providers: readonly Provider[],
): { apps: Partial<Record<string, string>>; errors: string[] } {
  const apps: Partial<Record<string, string>> = {};
  const errors: string[] = [];
  for (const pair of pairs) {
    const m = /^([a-z_]+)=(\S+)$/.exec(pair.trim());
    if (!m?.[1] || !m[2]) errors.push(`--oauth-app ${pair}: expected PROVIDER=ID, e.g. salesforce=8ff58ef0-...`);
    else if (!(providers as readonly string[]).includes(m[1]))
      errors.push(`--oauth-app ${pair}: unknown provider ${m[1]} (one of ${providers.join(', ')})`);
    else apps[m[1]] = m[2];
  }
  return { apps, errors };
}
