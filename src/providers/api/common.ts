/**
 * What every provider module shares: sending through ctx.http, mapping answers to
 * ProviderFailure, JSON parsing with zod, form bodies and Basic auth (OAuth token endpoints:
 * oauth.ts).
 *
 * Notes are sentences for a person: cause and fix. They are built only from constants, the
 * provider's name, HTTP status numbers and a short list of known OAuth error codes; never from
 * a provider body, a header, a URL or a secret (docs/security.md C8, A5).
 */
import { z } from 'zod';
import type { NetFailureReason, OutboundRequest, OutboundResponse } from '../../net/types.js';
import type {
  HealthReason,
  OAuthAppSecrets,
  ProviderContext,
  ProviderCredential,
  ProviderFailure,
  RefreshSuccess,
} from '../module.js';

/**
 * Provider-specific words for notes: display name ("Salesforce"), what was presented ("the
 * access token"), and sentences saying how a person fixes a rejected credential, a 403 and
 * (optionally) a 404.
 */
export interface Wording {
  provider: string;
  credential: string;
  reauth: string;
  permissions: string;
  notFound?: string;
}

export type Sent = { ok: true; res: OutboundResponse } | ProviderFailure;
export type Parsed<T> = { ok: true; data: T; res: OutboundResponse } | ProviderFailure;
/** A provider's own reading of an answer (GraphQL errors in a 200, quirky codes...). */
export type Classify = (res: OutboundResponse, json: unknown) => ProviderFailure | undefined;
/** Rate-limit reset headers other than Retry-After. */
export interface ResetHeader {
  name: string;
  unit: 'epoch_s' | 'epoch_ms' | 'delta_s';
}

export function failure(
  reason: HealthReason,
  note: string,
  extra: { status?: number; retryAfterSeconds?: number | undefined; oauthApp?: true } = {},
): ProviderFailure {
  const f: ProviderFailure = { ok: false, reason, note };
  if (extra.status !== undefined) f.status = extra.status;
  if (extra.retryAfterSeconds !== undefined) f.retryAfterSeconds = extra.retryAfterSeconds;
  if (extra.oauthApp) f.oauthApp = true;
  return f;
}

// ---------------------------------------------------------------- requests

/** `base` + `path`, without a doubled slash. */
export function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

export function formBody(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params.append(k, v);
  return params.toString();
}

export function basicAuth(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}

export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = 'application/json';

export function header(res: OutboundResponse, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(res.headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

const NET_NOTES: Record<NetFailureReason, [HealthReason, (p: string) => string]> = {
  timeout: [
    'timeout',
    (p) =>
      `${p} did not answer in time. credvault will retry later; if this keeps happening, check ${p}'s status page or raise CREDVAULT_PROVIDER_TIMEOUT_MS.`,
  ],
  network_error: [
    'network_error',
    (p) =>
      `credvault could not connect to ${p}. It will retry; if this persists, check outbound network access and DNS from the credvault host.`,
  ],
  blocked_host: [
    'blocked_host',
    (p) =>
      `credvault refused to contact the ${p} host because it is not an allowed public address. Check the host stored in the credential and the operator's provider host allowlist.`,
  ],
  too_large: [
    'invalid_response',
    (p) =>
      `${p} sent an answer larger than credvault accepts. credvault will retry; if this persists, check the configured base URL for ${p}.`,
  ],
  redirect_refused: [
    'invalid_response',
    (p) =>
      `${p} answered with a redirect, which credvault does not follow. Check the host stored in the credential (a renamed instance or domain) and the configured base URL.`,
  ],
};

/** One request through ctx.http; net failures become ProviderFailures (message dropped: C8). */
export async function send(ctx: ProviderContext, w: Wording, req: OutboundRequest): Promise<Sent> {
  const result = await ctx.http.request(req);
  if (result.ok) return { ok: true, res: result.response };
  const [reason, note] = NET_NOTES[result.reason];
  return failure(reason, note(w.provider));
}

// ---------------------------------------------------------------- answers

/** Seconds to wait: Retry-After (seconds, fractional seconds or an HTTP date), else reset headers. */
export function retryAfterSeconds(
  res: OutboundResponse,
  now: Date,
  resets: readonly ResetHeader[] = [],
): number | undefined {
  const ra = header(res, 'retry-after')?.trim();
  if (ra !== undefined && ra !== '') {
    const n = Number(ra);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
  }
  for (const r of resets) {
    const n = Number(header(res, r.name)?.trim());
    if (!Number.isFinite(n) || n < 0) continue;
    if (r.unit === 'delta_s') return Math.ceil(n);
    const at = r.unit === 'epoch_ms' ? n : n * 1000;
    return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
  }
  return undefined;
}

export function rateLimited(w: Wording, res: OutboundResponse, retryAfter: number | undefined): ProviderFailure {
  const wait = retryAfter === undefined ? '' : `; it asked to wait ${retryAfter} seconds`;
  return failure(
    'rate_limited',
    `${w.provider} is rate limiting credvault (HTTP ${res.status})${wait}. The check backs off and retries automatically.`,
    {
      status: res.status,
      retryAfterSeconds: retryAfter,
    },
  );
}

export function unauthorized(w: Wording, status: number, what = `${w.credential}`): ProviderFailure {
  return failure(
    'unauthorized',
    `${w.provider} rejected ${what} (HTTP ${status}) as invalid, expired or revoked. ${w.reauth}`,
    { status },
  );
}

export function forbidden(
  w: Wording,
  status: number,
  reason: 'forbidden' | 'missing_scope' = 'forbidden',
): ProviderFailure {
  const cause =
    reason === 'missing_scope' ? 'lacks a scope or permission this check needs' : 'is not allowed to do this';
  return failure(
    reason,
    `${w.provider} accepted ${w.credential} but refused the request (HTTP ${status}): the credential ${cause}. ${w.permissions}`,
    { status },
  );
}

/** The default reading of an HTTP status. */
export function httpFailure(
  w: Wording,
  res: OutboundResponse,
  now: Date,
  resets: readonly ResetHeader[] = [],
): ProviderFailure {
  const s = res.status;
  if (s === 401) return unauthorized(w, s);
  if (s === 403) return forbidden(w, s);
  if (s === 404) {
    const note =
      w.notFound ??
      `${w.provider} answered 404 Not Found for the account behind ${w.credential}; it may have been deleted or uninstalled. ${w.reauth}`;
    return failure('not_found', note, { status: s });
  }
  if (s === 429) return rateLimited(w, res, retryAfterSeconds(res, now, resets));
  if (s >= 500) {
    return failure(
      'provider_error',
      `${w.provider} had a server error (HTTP ${s}). The fault is on ${w.provider}'s side; credvault will retry.`,
      { status: s },
    );
  }
  if (s >= 200 && s < 300) return invalidResponse(w, s);
  return failure(
    'provider_error',
    `${w.provider} answered HTTP ${s}, which credvault did not expect for this check. credvault will retry; if it persists, check the credential's fields and ${w.provider}'s API status.`,
    { status: s },
  );
}

export function invalidResponse(w: Wording, status: number): ProviderFailure {
  return failure(
    'invalid_response',
    `${w.provider} answered HTTP ${status} but not in the format credvault expects (likely an API change or a proxy in between). credvault will retry; if it persists, report it to the credvault maintainers.`,
    { status },
  );
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface CallOptions<S extends z.ZodType> {
  schema: S;
  classify?: Classify;
  resets?: readonly ResetHeader[];
}

/** Sends, lets the provider classify, maps non-2xx, then parses a 2xx body with `schema`. */
export async function callJson<S extends z.ZodType>(
  ctx: ProviderContext,
  w: Wording,
  req: OutboundRequest,
  opts: CallOptions<S>,
): Promise<Parsed<z.output<S>>> {
  const sent = await send(ctx, w, req);
  if (!sent.ok) return sent;
  const { res } = sent;
  const json = safeJson(res.body);
  const custom = opts.classify?.(res, json);
  if (custom) return custom;
  if (res.status < 200 || res.status >= 300) return httpFailure(w, res, ctx.now(), opts.resets);
  const parsed = opts.schema.safeParse(json);
  if (!parsed.success) return invalidResponse(w, res.status);
  return { ok: true, data: parsed.data, res };
}

// ---------------------------------------------------------------- credential fields

export function prop(cred: ProviderCredential, key: string): string | undefined {
  const v = cred.properties[key];
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function missingField(w: Wording, field: string): ProviderFailure {
  return failure(
    'misconfigured',
    `The credential has no ${field}, which ${w.provider} needs for this check. Import the credential again with ${field} set.`,
  );
}

export function needApp(ctx: ProviderContext, w: Wording): OAuthAppSecrets | ProviderFailure {
  const app = ctx.oauthApp;
  if (app && app.clientId !== '' && app.clientSecret !== '') return app;
  return failure(
    'misconfigured',
    `No ${w.provider} OAuth app with a client id and secret is configured in credvault for this credential. Create or fix the ${w.provider} OAuth app, then check again.`,
  );
}

export function noAccessToken(w: Wording): ProviderFailure {
  return failure(
    'misconfigured',
    `There is no current ${w.provider} access token to check with. Refresh the credential first (credvault does so before checks when it holds a refresh token); if refreshing fails, re-authorize.`,
  );
}

/** The host of an https URL, or undefined. */
export function httpsHost(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.hostname !== '' ? u.host.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: JSON_TYPE };
}

/**
 * For kinds that store no access token (ServiceNow, Workday): the one the caller passes in
 * `properties.access_token` (fresh from refresh()), else one minted now with the refresh grant.
 * Only for providers that do not rotate refresh tokens by default: a rotated token minted here
 * could not be handed back (IdentifySuccess has no refreshToken field).
 */
type Refresher = (cred: ProviderCredential, ctx: ProviderContext) => Promise<RefreshSuccess | ProviderFailure>;
export async function accessTokenFor(
  cred: ProviderCredential,
  ctx: ProviderContext,
  refresh: Refresher,
): Promise<{ ok: true; token: string } | ProviderFailure> {
  const given = prop(cred, 'access_token');
  if (given !== undefined) return { ok: true, token: given };
  const r = await refresh(cred, ctx);
  return r.ok ? { ok: true, token: r.accessToken } : r;
}
