/** Random values of a Connect flow and their digests: only digests are stored (docs: Connect, §1). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits, base64url. */
export function randomToken(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time equality of a value and a stored digest (or of two strings through their digests). */
export function matchesDigest(value: string | undefined, stored: Buffer | null): boolean {
  if (value === undefined || stored === null) return false;
  return timingSafeEqual(digest(value), stored);
}

export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** RFC 7636 S256 code challenge of a verifier. */
export function codeChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The flow cookie's name: one per flow, so two flows in one browser do not overwrite each other. */
export function flowCookieName(sessionId: string): string {
  return `cv_flow_${sessionId.replace(/-/g, '').slice(0, 16)}`;
}

/** A cookie's value from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}
