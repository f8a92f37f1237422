/**
 * NetSuite token-based authentication: OAuth 1.0a requests signed with HMAC-SHA256, realm =
 * account id (upper case, sandbox as _SB1); the host uses the lower-case id with - (1234567-sb1).
 * Signing: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534941088.html
 * identify: GET https://{account}.suitetalk.api.netsuite.com/services/rest/record/v1/metadata-catalog?select=customer
 *   https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_157373386674.html
 */
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ProviderModule } from '../module.js';
import { JSON_TYPE, callJson, failure, join, missingField, prop, type Classify, type Wording } from './common.js';

const W: Wording = {
  provider: 'NetSuite',
  credential: 'the token-based credentials',
  reauth:
    "Check the consumer key/secret of the integration record and the token id/secret (Setup > Users/Roles > Access Tokens); the token may be revoked or its role may lack 'Log in using Access Tokens'. The Login Audit Trail shows the reason.",
  permissions: "Give the token's role the REST Web Services permission and access to the records credvault reads.",
  notFound:
    'NetSuite answered 404: check account_id (sandboxes end in _SB1) and that REST Web Services is enabled (Setup > Company > Enable Features > SuiteCloud).',
};

const catalog = z.object({ items: z.array(z.unknown()) }).loose();
const nsError = z
  .object({ 'o:errorDetails': z.array(z.object({ 'o:errorCode': z.string().optional() }).loose()) })
  .loose();

/** RFC 5849 §3.6 percent-encoding. */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface OAuth1Keys {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
  realm: string;
}

/** The Authorization header for one request (RFC 5849 §3.4, HMAC-SHA256 as NetSuite requires). */
export function oauth1Header(method: string, url: string, keys: OAuth1Keys, timestamp: number, nonce: string): string {
  const u = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: keys.consumerKey,
    oauth_token: keys.token,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(timestamp),
    oauth_nonce: nonce,
    oauth_version: '1.0',
  };
  const params: [string, string][] = [...Object.entries(oauth), ...u.searchParams.entries()].map(([k, v]) => [
    oauthEncode(k),
    oauthEncode(v),
  ]);
  params.sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1));
  const normalized = params.map(([k, v]) => `${k}=${v}`).join('&');
  const baseUri = `${u.protocol}//${u.host.toLowerCase()}${u.pathname}`;
  const base = [method.toUpperCase(), oauthEncode(baseUri), oauthEncode(normalized)].join('&');
  const key = `${oauthEncode(keys.consumerSecret)}&${oauthEncode(keys.tokenSecret)}`;
  const signature = createHmac('sha256', key).update(base).digest('base64');
  const fields = { ...oauth, oauth_signature: signature };
  return `OAuth realm="${oauthEncode(keys.realm)}",${Object.entries(fields)
    .map(([k, v]) => `${k}="${oauthEncode(v)}"`)
    .join(',')}`;
}

/** Account 1234567_SB1 → host 1234567-sb1.suitetalk.api.netsuite.com. */
export function netsuiteHost(accountId: string): string {
  return `${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
}

/**
 * REST errors carry o:errorCode; a 401 INVALID_LOGIN (bad signature, revoked token, wrong
 * realm) hides the reason, which only the Login Audit Trail shows.
 * https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545222128.html
 */
const classify: Classify = (res, json) => {
  const e = nsError.safeParse(json);
  const codes = e.success ? e.data['o:errorDetails'].map((d) => d['o:errorCode'] ?? '') : [];
  if (codes.includes('CONCURRENCY_LIMIT_EXCEEDED')) {
    return failure(
      'rate_limited',
      'NetSuite refused the request because the account is at its concurrency limit (CONCURRENCY_LIMIT_EXCEEDED). credvault backs off and retries.',
      { status: res.status },
    );
  }
  return undefined;
};

export const netsuiteModule: ProviderModule = {
  provider: 'netsuite',
  displayName: W.provider,
  // Each account has its own host ({account}.suitetalk.api.netsuite.com), via ctx.tenantUrl.
  baseUrls: { default: 'https://1234567.suitetalk.api.netsuite.com' },

  async identify(cred, ctx) {
    const account = prop(cred, 'account_id');
    if (account === undefined) return missingField(W, 'account_id');
    const keys: OAuth1Keys = {
      consumerKey: prop(cred, 'consumer_key') ?? '',
      consumerSecret: prop(cred, 'consumer_secret') ?? '',
      token: prop(cred, 'token_id') ?? '',
      tokenSecret: prop(cred, 'token_secret') ?? '',
      realm: account.toUpperCase().replace(/-/g, '_'),
    };
    for (const [field, value] of [
      ['consumer_key', keys.consumerKey],
      ['consumer_secret', keys.consumerSecret],
      ['token_id', keys.token],
      ['token_secret', keys.tokenSecret],
    ] as const) {
      if (value === '') return missingField(W, field);
    }
    const url = join(ctx.tenantUrl(netsuiteHost(account)), '/services/rest/record/v1/metadata-catalog?select=customer');
    const auth = oauth1Header(
      'GET',
      url,
      keys,
      Math.floor(ctx.now().getTime() / 1000),
      randomBytes(16).toString('hex'),
    );
    const r = await callJson(
      ctx,
      W,
      { method: 'GET', url, headers: { authorization: auth, accept: JSON_TYPE } },
      { schema: catalog, classify },
    );
    if (!r.ok) return r;
    return { ok: true, accountId: keys.realm };
  },
};
