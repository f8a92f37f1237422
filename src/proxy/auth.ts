/**
 * Adds a kind's authentication to one upstream request (proxy spec, table): a header, a
 * signature or query parameters. Secrets go in headers, except Checkout Champ's, whose API only
 * takes them in the query (such URLs are never logged).
 */
import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { ProxyAuth } from '../providers/proxy.js';

export interface AuthMaterial {
  /** Properties with the secrets in plaintext. */
  props: Record<string, unknown>;
  /** The kind's bearer token, for bearer and token-header schemes. */
  token?: string;
  /** The OAuth app's client secret (Stripe Connect: the platform's secret key). */
  appSecret?: string;
}

export type Authorized = { ok: true; url: string; headers: Record<string, string> } | { ok: false; why: string };

const text = (props: Record<string, unknown>, field: string): string | undefined => {
  const v = props[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** OAuth 1.0a HMAC-SHA256 with the `oauth-1.0a` library (RFC 5849), realm = NetSuite account id. */
function oauth1(method: string, url: string, props: Record<string, unknown>, realmField: string): string | undefined {
  const [key, secret, token, tokenSecret, realm] = [
    'consumer_key',
    'consumer_secret',
    'token_id',
    'token_secret',
    realmField,
  ].map((f) => text(props, f));
  if (!key || !secret || !token || !tokenSecret || !realm) return undefined;
  const signer = new OAuth({
    consumer: { key, secret },
    signature_method: 'HMAC-SHA256',
    realm,
    hash_function: (base, signingKey) => createHmac('sha256', signingKey).update(base).digest('base64'),
  });
  // The library's nonce uses Math.random; ours comes from node:crypto.
  signer.getNonce = () => randomBytes(16).toString('hex');
  return signer.toHeader(signer.authorize({ url, method }, { key: token, secret: tokenSecret })).Authorization;
}

export function authorize(auth: ProxyAuth, m: AuthMaterial, method: string, url: string): Authorized {
  switch (auth.scheme) {
    case 'bearer':
      return m.token
        ? { ok: true, url, headers: { authorization: `Bearer ${m.token}` } }
        : { ok: false, why: 'no access token' };
    case 'token_header':
      return m.token ? { ok: true, url, headers: { [auth.header]: m.token } } : { ok: false, why: 'no access token' };
    case 'stripe_connect': {
      const account = text(m.props, auth.accountField);
      if (!m.appSecret || !account)
        return { ok: false, why: 'Stripe Connect needs the OAuth app (the platform secret key) and stripe_user_id' };
      return { ok: true, url, headers: { authorization: `Bearer ${m.appSecret}`, 'stripe-account': account } };
    }
    case 'oauth1': {
      const header = oauth1(method, url, m.props, auth.realmField);
      return header
        ? { ok: true, url, headers: { authorization: header } }
        : { ok: false, why: 'the token-based authentication keys are incomplete' };
    }
    case 'query': {
      const pairs: string[] = [];
      for (const [name, field] of Object.entries(auth.params)) {
        const v = text(m.props, field);
        if (v === undefined) return { ok: false, why: `${field} is missing` };
        pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`);
      }
      return { ok: true, url: `${url}${url.includes('?') ? '&' : '?'}${pairs.join('&')}`, headers: {} };
    }
  }
}

/** Whether the scheme uses the kind's access token (and so can refresh it after a 401). */
export function usesToken(auth: ProxyAuth): boolean {
  return auth.scheme === 'bearer' || auth.scheme === 'token_header';
}
