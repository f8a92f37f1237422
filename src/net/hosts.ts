/**
 * Tenant-supplied host names (Salesforce/ServiceNow instance_url, Shopify shop, Workday host,
 * Auth0 domain...): checked against the provider's suffix allowlist plus
 * CREDVAULT_PROVIDER_HOSTS_<PROVIDER> before they are stored (docs/security.md A5, A6).
 */
import { parseHostLiteral } from './address.js';

/** Lower case, one trailing dot removed: `Acme.Salesforce.COM.` → `acme.salesforce.com`. */
export function normalizeHostName(host: string): string {
  const lower = host.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Names that only ever mean "this machine" or "the local network". */
const FORBIDDEN_NAMES = new Set([
  'localhost',
  'ip6-localhost',
  'ip6-loopback',
  'broadcasthost',
  'metadata',
  'instance-data',
]);
/** Zones for local and internal names (RFC 6761, RFC 6762 appendix G, cloud-internal DNS). */
const FORBIDDEN_ZONES = [
  'localhost',
  'local',
  'localdomain',
  'internal',
  'intranet',
  'lan',
  'home',
  'corp',
  'private',
  'arpa',
];

/**
 * True for names credvault never contacts whatever they resolve to: localhost and *.localhost,
 * *.internal (metadata.google.internal, *.ec2.internal), *.local, *.home.arpa and the like, and
 * single-label names (resolved through search domains to internal hosts).
 */
export function isForbiddenHostName(host: string): boolean {
  const name = normalizeHostName(host);
  if (name === '' || !name.includes('.') || FORBIDDEN_NAMES.has(name)) return true;
  return FORBIDDEN_ZONES.some((zone) => name === zone || name.endsWith(`.${zone}`));
}

/** Lower-case suffixes without a leading `*.`/dots or trailing dots; empty entries dropped (never "allow all"). */
export function normalizeSuffixes(suffixes: readonly string[]): string[] {
  return suffixes
    .map((s) =>
      s
        .trim()
        .toLowerCase()
        .replace(/^\*?\.+/, '')
        .replace(/\.+$/, ''),
    )
    .filter((s) => s.length > 0);
}

/**
 * True when `host` is one of `suffixes` or a subdomain of one (`x.force.com` matches
 * `force.com`; `evilforce.com` and `force.com.evil.com` do not). Case-insensitive, a trailing
 * dot ignored; IP literals never match: tenant-supplied hosts must name the provider, not an
 * address (docs/security.md, A5). The one host-suffix matcher: kinds' schemas, token replies
 * (Salesforce instance_url) and the tenant-host checks all use it.
 */
export function hostMatchesSuffixes(host: string, suffixes: readonly string[]): boolean {
  const name = normalizeHostName(host);
  if (name === '' || parseHostLiteral(name) !== null) return false;
  return normalizeSuffixes(suffixes).some((s) => name === s || name.endsWith(`.${s}`));
}

export type TenantHostResult = { ok: true; host: string } | { ok: false; reason: string };

/** "a", "a or b", "a, b or c". */
function listWithOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** The last label is all digits or 0x-hex: an IPv4 form, never a real DNS name. */
function looksNumeric(name: string): boolean {
  const last = name.split('.').pop() ?? '';
  return /^(0x[0-9a-f]*|[0-9]+)$/i.test(last);
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks a tenant-supplied host before it is stored or contacted. `label` starts every reason,
 * e.g. validateTenantHost(h, suffixes, 'instance_url host') may answer
 * "instance_url host must end in salesforce.com, force.com or salesforce.mil".
 * On success `host` is the normalized name (lower case, no trailing dot).
 */
export function validateTenantHost(host: string, allowedSuffixes: readonly string[], label = 'host'): TenantHostResult {
  const name = normalizeHostName(host);
  const refuse = (reason: string): TenantHostResult => ({ ok: false, reason: `${label} ${reason}` });
  if (name === '') return refuse('is empty');
  if (parseHostLiteral(host) !== null || parseHostLiteral(name) !== null || looksNumeric(name)) {
    return refuse('must be a DNS name, not an IP address');
  }
  if (!/^[a-z0-9.-]+$/.test(name)) {
    return refuse(
      'may contain only letters, digits, dots and hyphens (use the xn-- form for international names), with no scheme, port or path',
    );
  }
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    return refuse('is not a valid host name: labels of 1 to 63 letters, digits or inner hyphens, separated by dots');
  }
  if (isForbiddenHostName(name)) return refuse('names a local or internal host, which credvault never contacts');
  const suffixes = normalizeSuffixes(allowedSuffixes);
  if (suffixes.length === 0) return refuse('cannot be set: no host suffixes are allowed for this provider');
  if (!hostMatchesSuffixes(name, suffixes)) return refuse(`must end in ${listWithOr(suffixes)}`);
  return { ok: true, host: name };
}
