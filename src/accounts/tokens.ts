import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * `credentials:use` calls a provider through the proxy (/v1/proxy/credential/...) without ever
 * receiving the secret; `secrets:reveal` answers secrets themselves.
 */
export const SCOPES = [
  'credentials:read',
  'credentials:write',
  'credentials:use',
  'secrets:reveal',
  'tokens:manage',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(buf: Buffer): string {
  let n = BigInt(`0x${buf.toString('hex') || '0'}`);
  let out = '';
  while (n > 0n) {
    out = (BASE62[Number(n % 62n)] ?? '0') + out;
    n /= 62n;
  }
  return out || '0';
}

function checksum(body: string): string {
  const c = crc32(Buffer.from(body, 'utf8'));
  const b = Buffer.alloc(4);
  b.writeUInt32BE(c >>> 0);
  return base62(b).padStart(6, '0');
}

/**
 * A new API token: `cv_live_<192 random bits, base62>_<crc32>`. The prefix lets secret scanners
 * find leaked tokens; the checksum lets us refuse typos before touching the database.
 */
export function generateApiToken(): string {
  const body = `cv_live_${base62(randomBytes(24)).padStart(33, '0')}`;
  return `${body}_${checksum(body)}`;
}

/**
 * Cheap shape check done before any database lookup; also what CREDVAULT_BOOTSTRAP_TOKEN must
 * pass (config.ts), so a configured token is always one that can authenticate.
 */
export function plausibleToken(token: string): boolean {
  if (token.length < 32 || token.length > 512) return false;
  // Printable ASCII only: no whitespace, no characters a header cannot carry.
  if (!/^[\x21-\x7e]+$/.test(token)) return false;
  const m = /^(cv_(?:live|test)_[0-9A-Za-z]+)_([0-9A-Za-z]{6})$/.exec(token);
  // Operator-chosen bootstrap tokens need not follow our format; they are at least 32 chars.
  if (!m) return !token.startsWith('cv_');
  return checksum(m[1] ?? '') === m[2];
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time comparison of two SHA-256 digests. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What lists show of an operator-chosen token: none of its characters (they are the secret). */
export const CHOSEN_TOKEN_PREFIX = 'operator-chosen';

/** The listed prefix: the first 12 characters of a generated token (`cv_live_` + 4 random). */
export function tokenPrefix(token: string): string {
  return token.startsWith('cv_') ? token.slice(0, 12) : CHOSEN_TOKEN_PREFIX;
}

/** The known scopes among stored values (a scope dropped from SCOPES is ignored). */
export function asScopes(values: string[]): Scope[] {
  return values.filter((v): v is Scope => (SCOPES as readonly string[]).includes(v));
}
