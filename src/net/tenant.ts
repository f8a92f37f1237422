import { Resolver } from 'node:dns/promises';
import type { ValidationErrors } from '../lib/errors.js';
import { isForbiddenAddress, parseHostLiteral } from './address.js';
import { isForbiddenHostName, normalizeHostName } from './hosts.js';

/** The property holding a tenant-supplied host, and the host credvault will connect to. */
export function tenantHostsOf(kind: string, props: Record<string, unknown>): Array<{ field: string; host: string }> {
  const str = (k: string) => (typeof props[k] === 'string' ? (props[k] as string) : undefined);
  const urlHost = (k: string) => {
    const v = str(k);
    if (!v) return undefined;
    try {
      return new URL(v).hostname;
    } catch {
      return undefined;
    }
  };
  const out: Array<{ field: string; host: string | undefined }> = [];
  switch (kind) {
    case 'salesforce_oauth2':
    case 'servicenow_oauth2':
      out.push({ field: 'instance_url', host: urlHost('instance_url') });
      break;
    case 'shopify_oauth2':
      out.push({ field: 'shop', host: str('shop') });
      break;
    case 'workday_oauth2':
      out.push({ field: 'host', host: str('host') });
      break;
    case 'auth0_client_credentials':
      out.push({ field: 'domain', host: str('domain') });
      break;
    case 'netsuite_tba': {
      const a = str('account_id');
      out.push({ field: 'account_id', host: a ? `${a.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com` : undefined });
      break;
    }
    case 'marketo_client_credentials': {
      const m = str('munchkin_id');
      out.push({ field: 'munchkin_id', host: m ? `${m.toLowerCase()}.mktorest.com` : undefined });
      break;
    }
    default:
      break;
  }
  return out.filter((h): h is { field: string; host: string } => h.host !== undefined);
}

export type Lookup = (host: string) => Promise<string[]>;

/**
 * DNS for import-time vetting, bounded in time (issue 13 item 7). Queries go through c-ares
 * (dns.promises Resolver: A and AAAA), not dns.lookup: getaddrinfo runs on libuv's thread pool
 * (4 threads by default, shared with file and crypto work), so a slow resolver and a bulk import
 * of many hosts would tie up the pool and stall everything else. c-ares does not read
 * /etc/hosts; that is harmless here: the outbound client checks every address again at connect.
 * `servers` replaces the system's resolvers (tests).
 */
export function systemLookup(timeoutMs = 2000, servers?: string[]): Lookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers) resolver.setServers(servers);
  return async (host) => {
    const timer = new Promise<string[]>((resolve) => setTimeout(() => resolve([]), timeoutMs).unref());
    const answer = Promise.all([resolver.resolve4(host).catch(() => [] as string[]), resolver.resolve6(host).catch(() => [] as string[])]).then(([v4, v6]) => [...v4, ...v6]);
    return Promise.race([answer, timer]);
  };
}

/**
 * SSRF vetting of tenant hosts at import (security.md A5): IP literals in any form, names like
 * localhost or *.internal, and names that resolve to loopback, private, link-local or metadata
 * addresses are refused with a 422 saying why. A name that does not resolve now is accepted: the
 * outbound client checks the address again at every connection. Hosts the operator overrides
 * (CREDVAULT_PROVIDER_URL_<P>) are never contacted, so they are not resolved.
 */
export async function vetTenantHosts(kind: string, props: Record<string, unknown>, lookup: Lookup, overridden: boolean): Promise<ValidationErrors> {
  const errors: ValidationErrors = {};
  for (const { field, host } of tenantHostsOf(kind, props)) {
    const name = normalizeHostName(host);
    const literal = parseHostLiteral(name.replace(/^\[|\]$/g, ''));
    if (literal !== null) {
      errors[`properties.${field}`] = ['must be a DNS name, not an IP address'];
      continue;
    }
    if (isForbiddenHostName(name)) {
      errors[`properties.${field}`] = ['names a local or internal host, which credvault never connects to'];
      continue;
    }
    if (overridden) continue;
    const addresses = await lookup(name);
    if (addresses.some((a) => isForbiddenAddress(a))) {
      errors[`properties.${field}`] = ['resolves to a loopback, private, link-local or metadata address, which credvault never connects to'];
    }
  }
  return errors;
}

/**
 * Remembers answers for a while: a bulk import naming one tenant host a thousand times asks
 * DNS once. Rebinding after the answer is harmless: connections re-check every address.
 */
export function cachedLookup(lookup: Lookup, ttlMs = 60_000, now: () => number = Date.now): Lookup {
  const cache = new Map<string, { at: number; answer: Promise<string[]> }>();
  return (host) => {
    const hit = cache.get(host);
    if (hit && now() - hit.at < ttlMs) return hit.answer;
    if (cache.size > 10_000) cache.clear();
    const answer = lookup(host);
    cache.set(host, { at: now(), answer });
    return answer;
  };
}
