import { Resolver } from 'node:dns/promises';
import type { ValidationErrors } from '../lib/errors.js';
import { isForbiddenAddress, parseHostLiteral } from './address.js';
import { isForbiddenHostName, normalizeHostName } from './hosts.js';

/** What net needs of a kind: its tenant-supplied hosts (KindSpec.tenantHosts, declared data of the kind). */
export interface TenantHostSource {
  tenantHosts: readonly { field: string; host(value: string): string | undefined }[];
}

/** The properties holding tenant-supplied hosts, and the host credvault will connect to for each. */
export function tenantHostsOf(
  spec: TenantHostSource,
  props: Record<string, unknown>,
): Array<{ field: string; host: string }> {
  const out: Array<{ field: string; host: string }> = [];
  for (const { field, host: hostOf } of spec.tenantHosts) {
    const value = props[field];
    if (typeof value !== 'string' || value === '') continue;
    const host = hostOf(value);
    if (host !== undefined) out.push({ field, host });
  }
  return out;
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
    const answer = Promise.all([
      resolver.resolve4(host).catch(() => [] as string[]),
      resolver.resolve6(host).catch(() => [] as string[]),
    ]).then(([v4, v6]) => [...v4, ...v6]);
    return Promise.race([answer, timer]);
  };
}

/**
 * SSRF vetting of tenant hosts at import (docs/security.md, A5): IP literals in any form, names like
 * localhost or *.internal, and names that resolve to loopback, private, link-local or metadata
 * addresses are refused with a 422 saying why. A name that does not resolve now is accepted: the
 * outbound client checks the address again at every connection. Hosts the operator overrides
 * (CREDVAULT_PROVIDER_URL_<P>) are never contacted, so they are not resolved.
 */
export async function vetTenantHosts(
  spec: TenantHostSource,
  props: Record<string, unknown>,
  lookup: Lookup,
  overridden: boolean,
): Promise<ValidationErrors> {
  const errors: ValidationErrors = {};
  for (const { field, host } of tenantHostsOf(spec, props)) {
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
      errors[`properties.${field}`] = [
        'resolves to a loopback, private, link-local or metadata address, which credvault never connects to',
      ];
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
