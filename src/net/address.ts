/**
 * IP literal recognition and the public-address test behind every outbound request (docs/security.md
 * A5, threat 1). An address is allowed only when it is public unicast; everything else (loopback,
 * private, link-local incl. cloud metadata, CGNAT, multicast, reserved, IPv6 forms embedding such
 * an IPv4) is forbidden. Anything that does not parse as an IP is forbidden too: fail closed.
 */
import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** One WHATWG-URL IPv4 "number": decimal, 0x hex or 0-prefixed octal. */
function parseIPv4Number(part: string): number | null {
  if (part === '') return null;
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    radix = 16;
    digits = digits.slice(2);
  } else if (digits.length > 1 && digits.startsWith('0')) {
    radix = 8;
    digits = digits.slice(1);
  }
  if (digits === '') return 0;
  const valid = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return null;
  return parseInt(digits, radix);
}

/**
 * The IPv4 host parser of the WHATWG URL standard (what browsers and `new URL` do, and what
 * inet_aton accepts): 1 to 4 parts, each decimal, octal or hex, the last one filling the
 * remaining bytes. So 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 all give 127.0.0.1.
 */
function parseLooseIPv4(host: string): string | null {
  const parts = host.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIPv4Number(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers.pop();
  if (last === undefined || numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (5 - parts.length)) return null;
  let value = last;
  numbers.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function parseIPv6(text: string): string | null {
  if (!ipaddr.IPv6.isValid(text)) return null;
  // Rebuilt from its parts so a zone id (fe80::1%eth0) never survives into the canonical form.
  return new ipaddr.IPv6(ipaddr.IPv6.parse(text).parts).toRFC5952String();
}

/** Characters that would change how `http://<host>/` splits into URL components. */
const NOT_A_HOST = /[\s/\\?#@:[\]]/;

/**
 * The canonical IP (dotted-quad IPv4 or RFC 5952 IPv6) when `host` is an IP literal in any form
 * an attacker might use, otherwise null: decimal, octal, hex and short IPv4 forms, bracketed or
 * bare IPv6 (including ::ffff:127.0.0.1 and zone ids), a trailing dot, and what the WHATWG URL
 * parser turns into an IPv4 (full-width digits, percent-encoded digits).
 */
export function parseHostLiteral(host: string): string | null {
  let text = host.trim();
  if (text.startsWith('[') && text.endsWith(']')) return parseIPv6(text.slice(1, -1));
  if (text.includes(':')) return parseIPv6(text);
  text = text.toLowerCase();
  const loose = parseLooseIPv4(text);
  if (loose !== null) return loose;
  if (text === '' || NOT_A_HOST.test(text)) return null;
  try {
    const hostname = new URL(`http://${text}/`).hostname;
    return ipaddr.IPv4.isValidFourPartDecimal(hostname) ? hostname : null;
  } catch {
    return null;
  }
}

function v4FromWords(high: number, low: number): IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function isPublicV4(addr: IPv4): boolean {
  // Everything ipaddr.js names (private, loopback, linkLocal, carrierGradeNat, unspecified
  // 0/8, broadcast, multicast, reserved incl. 240/4 and 192.0.0/24, as112, amt) is refused.
  return addr.range() === 'unicast';
}

function isPublicV6(addr: IPv6): boolean {
  const word = (i: number): number => addr.parts[i] ?? 0;
  const range = addr.range();
  // NAT64 well-known prefix 64:ff9b::/96: the last 32 bits are an IPv4 address.
  if (range === 'rfc6052') {
    const wellKnown = word(1) === 0xff9b && [2, 3, 4, 5].every((i) => word(i) === 0);
    return wellKnown && isPublicV4(v4FromWords(word(6), word(7)));
  }
  // 6to4 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD.
  if (range === '6to4') return isPublicV4(v4FromWords(word(1), word(2)));
  // Teredo, IPv4-translated (::ffff:0:a.b.c.d), unique-local fc00::/7 (incl. fd00:ec2::254),
  // link-local, multicast, site-local, discard, documentation... are never 'unicast'.
  if (range !== 'unicast') return false;
  // Only 2000::/3 is allocated global unicast; this also refuses IPv4-compatible ::a.b.c.d.
  return (word(0) & 0xe000) === 0x2000;
}

/**
 * True when `ip` must never be contacted: loopback, private, link-local, CGNAT, unspecified,
 * multicast, broadcast, reserved, 0.0.0.0/8, unique-local, cloud metadata (169.254.169.254,
 * fd00:ec2::254), IPv4-mapped / IPv4-compatible / NAT64 / 6to4 forms embedding such an IPv4,
 * and any string that is not an IP address at all.
 */
export function isForbiddenAddress(ip: string): boolean {
  const canonical = parseHostLiteral(ip);
  if (canonical === null) return true;
  let addr: IPv4 | IPv6;
  try {
    addr = ipaddr.process(canonical); // ::ffff:a.b.c.d becomes the IPv4 it maps
  } catch {
    return true;
  }
  return addr instanceof ipaddr.IPv4 ? !isPublicV4(addr) : !isPublicV6(addr);
}
