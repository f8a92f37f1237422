/**
 * The proxy (proxy spec): one call to a provider's API through credvault, which adds the
 * authentication. Credvault's own refusals are AppErrors carrying `X-Credvault-Proxy-Error`; the
 * provider's answers are returned to be streamed back untouched (header hygiene aside).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { HealthService } from '../health/service.js';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { AnswerBody, StreamingHttp, StreamResult } from '../net/pool.js';
import type { ProxyTarget } from '../providers/proxy.js';
import { type Kind, KINDS, kindSpec } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';
import type { ProxyMaterial, TokenService } from '../tokens/service.js';
import { authorize, usesToken } from './auth.js';
import type { MaterialCache } from './cache.js';
import { type RequestBody, takeBody } from './body.js';
import { answerHeaders, outgoingHeaders } from './headers.js';
import type { Pacer } from './pacing.js';
import { checkPath, joinChecked } from './path.js';

export type ProxyErrorCode =
  'invalid_path' | 'not_found' | 'credential_unusable' | 'upstream_unreachable' | 'timeout' | 'too_large' | 'busy';

export const PROXY_ERROR_HEADER = 'x-credvault-proxy-error';

export function proxyError(
  status: number,
  code: ProxyErrorCode,
  summary: string,
  extra: Record<string, string> = {},
): AppError {
  return new AppError(status, summary, { [PROXY_ERROR_HEADER]: code, ...extra });
}

export interface ProxyLimits {
  maxBodyBytes: number;
  maxAnswerBytes: number;
  timeoutMs: number;
}

export interface ProxyDeps {
  /** Health reports and last_ok_at. */
  health: HealthService;
  /** The token path: the bearer token, renewed once after a 401. */
  tokens: TokenService;
  http: StreamingHttp;
  pacer: Pacer;
  limits: ProxyLimits;
  /** CREDVAULT_PROVIDER_URL_<P>. */
  providerUrls: Partial<Record<Provider, string>>;
  /** A provider module's named base URLs. */
  baseUrls(provider: Provider): Readonly<Record<string, string>> & { default: string };
  /** The OAuth app's client secret (Stripe Connect). */
  appSecret(accountId: string, appId: string): Promise<string | undefined>;
  log: Logger;
  clock: Clock;
  /** The short per-node credential cache (cache.ts); none: every call reads the credential. */
  cache?: MaterialCache;
}

export interface ProxyCall {
  accountId: string;
  tokenId: string | null;
  credentialId: string;
  method: string;
  /** The path after /v1/proxy/credential/{id}/, as sent (percent-encoded), and the raw query. */
  rawPath: string;
  rawQuery: string;
  req: IncomingMessage;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: AnswerBody;
  /** The upstream host (port only when not the default) and path, for the log line. */
  host: string;
  path: string;
  bytesIn: number;
  release(): void;
}

/** The base URL of a call: the operator's override, a named base of the module, or the tenant host. */
export function resolveProxyBase(
  target: ProxyTarget,
  props: Record<string, unknown>,
  override: string | undefined,
  urls: Readonly<Record<string, string>> & { default: string },
): string | undefined {
  if (override !== undefined) return override;
  const base = target.base(props);
  if (base === undefined) return undefined;
  if ('host' in base) return `https://${base.host}`;
  return urls[base.api] ?? urls.default;
}

const KIND_SET: ReadonlySet<string> = new Set(KINDS);
const isKind = (k: string): k is Kind => KIND_SET.has(k);

export function createProxyService(d: ProxyDeps) {
  const baseFor = (target: ProxyTarget, provider: Provider, props: Record<string, unknown>) =>
    resolveProxyBase(target, props, d.providerUrls[provider], d.baseUrls(provider));

  async function send(
    c: ProxyCall,
    m: ProxyMaterial,
    target: ProxyTarget,
    url: URL,
    body: RequestBody,
    token: string | undefined,
    appSecret: string | undefined,
  ): Promise<StreamResult> {
    const signed = authorize(
      target.auth,
      { props: m.props, ...(token ? { token } : {}), ...(appSecret ? { appSecret } : {}) },
      c.method,
      url.href,
    );
    if (!signed.ok)
      throw proxyError(409, 'credential_unusable', `This credential cannot be used through the proxy: ${signed.why}.`);
    const headers: Record<string, string | string[]> = { ...outgoingHeaders(c.req.headers), ...signed.headers };
    let payload: Buffer | Readable | undefined;
    if (body.kind === 'buffered') {
      headers['content-length'] = String(body.data.length);
      payload = body.data;
    } else if (body.kind === 'stream') {
      if (body.declared !== undefined) headers['content-length'] = String(body.declared);
      payload = body.counter;
    }
    return d.http.request({
      method: c.method,
      // The parsed URL when signing left it as it was (no second parse in the client).
      url: signed.url === url.href ? url : signed.url,
      headers,
      ...(payload ? { body: payload } : {}),
      timeoutMs: d.limits.timeoutMs,
    });
  }

  function unreachable(r: Extract<StreamResult, { ok: false }>, body: RequestBody): AppError {
    if (body.kind === 'stream' && body.counter.exceeded)
      return proxyError(413, 'too_large', `The request body is larger than ${d.limits.maxBodyBytes} bytes.`);
    if (r.reason === 'timeout')
      return proxyError(504, 'timeout', `The provider did not answer within ${d.limits.timeoutMs} ms.`);
    return proxyError(502, 'upstream_unreachable', `The provider could not be reached: ${r.message}.`);
  }

  // A refused credential is reported once a minute per credential on this node: a caller
  // hammering an endpoint its token lacks the scope for must not become a check per call.
  const reported = new Map<string, number>();
  const REPORT_EVERY_MS = 60_000;

  /** 401/403 are evidence against the credential: the same path as POST /health-reports, before answering. */
  async function report(c: ProxyCall, status: number): Promise<void> {
    const now = d.clock.now().getTime();
    const last = reported.get(c.credentialId);
    if (last !== undefined && now - last < REPORT_EVERY_MS) return;
    if (reported.size > 10_000) reported.clear();
    reported.set(c.credentialId, now);
    await d.health.report(c.accountId, c.credentialId, status, c.tokenId).catch((err: unknown) => {
      d.log.warn(
        { credential_id: c.credentialId, err: { type: err instanceof Error ? err.name : 'unknown' } },
        'recording a proxied refusal as a health report failed',
      );
    });
  }

  return {
    async call(c: ProxyCall): Promise<ProxyAnswer> {
      if (!isUuid(c.credentialId))
        throw proxyError(404, 'not_found', 'No credential with that id exists in this account.');
      // A free slot is taken at once (no promise); only a full lane waits.
      const release = d.pacer.tryAcquire(c.credentialId) ?? (await d.pacer.acquire(c.credentialId));
      if (!release)
        throw proxyError(429, 'busy', 'Too many proxied calls are in flight for this credential; retry shortly.', {
          'retry-after': '1',
        });
      try {
        return await run(c, release);
      } catch (err) {
        release();
        throw err;
      }
    },
  };

  async function run(c: ProxyCall, release: () => void): Promise<ProxyAnswer> {
    // Path first: an escape attempt is a 400 before anything else is looked at.
    const invalid = checkPath(c.rawPath, c.rawQuery);
    if (invalid !== undefined) throw proxyError(400, 'invalid_path', `Invalid proxy path: ${invalid}.`);
    let m: ProxyMaterial;
    try {
      const cached = d.cache?.get(c.accountId, c.credentialId);
      m =
        cached ??
        (await d.tokens.forProxy(c.accountId, c.credentialId, (k) => isKind(k) && usesToken(kindSpec(k).proxy.auth)));
      if (!cached) d.cache?.set(c.accountId, c.credentialId, m);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw proxyError(404, 'not_found', err.summary);
      if (err instanceof AppError && (err.status === 409 || err.status === 422))
        throw proxyError(409, 'credential_unusable', err.summary);
      throw err;
    }
    const kind = m.row.kind;
    if (!isKind(kind))
      throw proxyError(409, 'credential_unusable', 'This credential kind cannot be used through the proxy.');
    const target = kindSpec(kind).proxy;
    const wantsToken = usesToken(target.auth);
    const provider = m.row.provider as Provider;
    const base = baseFor(target, provider, m.row.properties);
    if (base === undefined)
      throw proxyError(409, 'credential_unusable', 'This credential lacks the property that names its API host.');
    const joined = joinChecked(base, c.rawPath, c.rawQuery);
    if (!joined.ok) throw proxyError(400, 'invalid_path', `Invalid proxy path: ${joined.why}.`);
    const appSecret =
      target.auth.scheme === 'stripe_connect' && m.row.oauth_app_id
        ? await d.appSecret(c.accountId, m.row.oauth_app_id)
        : undefined;
    const taken = takeBody(c.req, d.limits.maxBodyBytes);
    const body = taken instanceof Promise ? await taken : taken;
    if (body.kind === 'too_large')
      throw proxyError(413, 'too_large', `The request body is larger than ${d.limits.maxBodyBytes} bytes.`);
    const upstream = joined.url;

    let token = m.token;
    let r = await send(c, m, target, joined.url, body, token, appSecret);
    if (!r.ok) throw unreachable(r, body);
    const extra: Record<string, string> = {};
    // The provider refused: whatever follows (a refresh, a health report) changes the credential.
    if (r.response.statusCode === 401 || r.response.statusCode === 403) d.cache?.forget(c.credentialId);
    if (r.response.statusCode === 401 && wantsToken && m.refreshable && token !== undefined) {
      // One refresh for however many calls saw this token refused, then one replay if possible.
      const renewed = await d.tokens.refreshRefused(c.accountId, c.credentialId, token).catch(() => undefined);
      if (renewed === undefined) {
        extra['x-credvault-proxy-retry'] = 'not_replayed; the token refresh was refused, see the credential health';
      } else if (body.kind === 'stream') {
        extra['x-credvault-proxy-retry'] =
          'not_replayed; the request body was streamed, retry the call: the token was refreshed';
      } else {
        r.response.body.discard();
        token = renewed;
        r = await send(c, m, target, joined.url, body, token, appSecret);
        if (!r.ok) throw unreachable(r, body);
        extra['x-credvault-proxy-retry'] = 'replayed after a token refresh';
        if (r.response.statusCode === 401) await report(c, 401);
      }
    } else if (r.response.statusCode === 401 || r.response.statusCode === 403) {
      await report(c, r.response.statusCode);
    }
    const status = r.response.statusCode;
    if (status >= 200 && status < 300) {
      d.health
        .noteWorked(c.credentialId)
        ?.catch(() => d.log.warn({ credential_id: c.credentialId }, 'recording last_ok_at failed'));
    }
    const headers = answerHeaders(r.response.headers);
    for (const name in extra) headers[name] = extra[name] ?? '';
    return {
      status,
      headers,
      body: r.response.body,
      host: upstream.host,
      path: upstream.pathname,
      bytesIn: body.kind === 'buffered' ? body.data.length : body.kind === 'stream' ? body.counter.bytes : 0,
      release,
    };
  }
}

export type ProxyService = ReturnType<typeof createProxyService>;
