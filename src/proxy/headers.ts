/**
 * Header hygiene both ways (proxy spec, "Route"). To the provider: the caller's credentials and
 * routing headers are dropped (Authorization, Cookie, Proxy-*, Forwarded, X-Forwarded-*, Host,
 * hop-by-hop, X-Credvault-*); the rest passes. Back to the caller: hop-by-hop and Set-Cookie dropped.
 */
import type { IncomingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
]);

const DROPPED_OUT = new Set([
  ...HOP_BY_HOP,
  'authorization',
  'cookie',
  'host',
  'forwarded',
  'content-length',
  'expect',
  'http2-settings',
]);

const NONE_LISTED: ReadonlySet<string> = new Set();

/** Also the names listed in `Connection`, which are hop-by-hop for that message. */
function connectionListed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const v = headers.connection;
  if (v === undefined || v === 'keep-alive' || v === 'close') return NONE_LISTED;
  const text = Array.isArray(v) ? v.join(',') : v;
  return new Set(
    text
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
}

export function outgoingHeaders(inbound: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(inbound);
  const out: Record<string, string | string[]> = {};
  // for..in makes no [name, value] pairs; names are compared in lower case whatever the source.
  for (const name in inbound) {
    const value = inbound[name];
    if (value === undefined) continue;
    const n = name.toLowerCase();
    if (
      DROPPED_OUT.has(n) ||
      listed.has(n) ||
      n.startsWith('proxy-') ||
      n.startsWith('x-forwarded-') ||
      n.startsWith('x-credvault-')
    )
      continue;
    out[n] = value;
  }
  return out;
}

export function answerHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(upstream);
  const out: Record<string, string | string[]> = {};
  for (const name in upstream) {
    const value = upstream[name];
    if (value === undefined) continue;
    const n = name.toLowerCase();
    // x-credvault-* is ours: a provider cannot make its answer look like credvault's own error.
    if (HOP_BY_HOP.has(n) || listed.has(n) || n === 'set-cookie' || n.startsWith('x-credvault-')) continue;
    out[n] = value;
  }
  return out;
}
