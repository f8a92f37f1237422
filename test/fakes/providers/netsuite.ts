/**
 * Fake NetSuite REST: checks the OAuth 1.0a HMAC-SHA256 signature (its own implementation of
 * RFC 5849 §3.4), the realm and the keys; serves the metadata catalog.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeProviderDef, FakeReply, FakeRequest } from '../server.js';
import { str, type FakeState } from '../state.js';

const pct = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const nsError = (status: number, title: string, code: string, detail: string): FakeReply => ({
  status,
  body: {
    type: 'https://www.rfc-editor.org/rfc/rfc9110.html',
    title,
    status,
    'o:errorDetails': [{ detail, 'o:errorCode': code }],
  },
});
const INVALID_LOGIN = nsError(
  401,
  'Unauthorized',
  'INVALID_LOGIN',
  'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
);

function parseOAuthHeader(value: string): Map<string, string> | undefined {
  if (!value.startsWith('OAuth ')) return undefined;
  const out = new Map<string, string>();
  for (const m of value.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)) {
    if (m[1] !== undefined && m[2] !== undefined) out.set(m[1], decodeURIComponent(m[2]));
  }
  return out;
}

function verify(req: FakeRequest, state: FakeState): FakeReply | undefined {
  const p = parseOAuthHeader(req.header('authorization') ?? '');
  if (p === undefined || p.get('oauth_signature_method') !== 'HMAC-SHA256' || p.get('oauth_version') !== '1.0')
    return INVALID_LOGIN;
  const consumerSecret = state.clients.get(p.get('oauth_consumer_key') ?? '');
  const token = state.accessTokens.get(p.get('oauth_token') ?? '');
  if (consumerSecret === undefined || token === undefined || p.get('realm') !== str(token, 'realm'))
    return INVALID_LOGIN;
  const skew = Math.abs(Number(p.get('oauth_timestamp')) - Date.now() / 1000);
  if (!(skew < 300) || (p.get('oauth_nonce') ?? '').length < 8) return INVALID_LOGIN;
  const params: string[] = [];
  for (const [k, v] of p) if (k !== 'realm' && k !== 'oauth_signature') params.push(`${pct(k)}=${pct(v)}`);
  for (const [k, v] of req.query) params.push(`${pct(k)}=${pct(v)}`);
  params.sort();
  const url = new URL(req.url);
  const base = `GET&${pct(`${url.protocol}//${url.host}${url.pathname}`)}&${pct(params.join('&'))}`;
  const expected = createHmac('sha256', `${pct(consumerSecret)}&${pct(str(token, 'token_secret'))}`)
    .update(base)
    .digest();
  const given = Buffer.from(p.get('oauth_signature') ?? '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return INVALID_LOGIN;
  return undefined;
}

export const netsuiteFake: FakeProviderDef = {
  routes: [
    {
      name: 'catalog',
      method: 'GET',
      path: /^\/services\/rest\/record\/v1\/metadata-catalog\/?$/,
      handle: (req, state) => {
        const bad = verify(req, state);
        if (bad) return bad;
        return {
          status: 200,
          body: {
            items: [
              {
                name: req.query.get('select') ?? 'customer',
                links: [{ rel: 'canonical', href: '/services/rest/record/v1/metadata-catalog/customer' }],
              },
            ],
          },
        };
      },
    },
  ],
  error: (answer) => {
    switch (answer) {
      case 'unauthorized':
        return INVALID_LOGIN;
      case 'forbidden':
        return nsError(
          403,
          'Forbidden',
          'INSUFFICIENT_PERMISSION',
          'Permission Violation: You need the REST Web Services permission.',
        );
      case 'not_found':
        return nsError(404, 'Not Found', 'NONEXISTENT_ID', 'The record instance does not exist.');
      case 'rate_limited':
        // NetSuite: 429 CONCURRENCY_LIMIT_EXCEEDED, no Retry-After.
        return nsError(
          429,
          'Too Many Requests',
          'CONCURRENCY_LIMIT_EXCEEDED',
          'Concurrent request limit exceeded. Request blocked.',
        );
      case 'server_error':
        return nsError(500, 'Internal Server Error', 'UNEXPECTED_ERROR', 'An unexpected error occurred.');
    }
  },
};
