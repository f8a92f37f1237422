/**
 * Shared field builders and normalizers for credential kinds (docs/kinds.md).
 *
 * Every message here is a sentence fragment that reads after the field name
 * ("properties.secret must start with ...") and never contains the submitted value,
 * because the value may be a secret.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { hostMatchesSuffixes, normalizeSuffixes } from '../net/hosts.js';
import type { Identity, IdentityContext } from './types.js';

const REQUIRED = 'is required';

/** Error map for a wrong type: "is required" when absent, else what was expected. */
function typeError(expected: string) {
  return (issue: { input?: unknown }): string => (issue.input === undefined ? REQUIRED : `must be ${expected}`);
}

/** A non-secret string, trimmed, not empty. */
export function text() {
  return z
    .string({ error: typeError('a string') })
    .trim()
    .min(1, 'must not be empty');
}

/** A secret string: kept byte for byte (never trimmed), not empty. */
export function secret() {
  return z.string({ error: typeError('a string') }).min(1, 'must not be empty');
}

export function flag() {
  return z.boolean({ error: typeError('true or false') });
}

const WHOLE_NUMBER = 'must be a whole number (a JSON integer or a string of digits such as "123")';

/** Integer field: a JSON integer or a string of decimal digits, output as a number. */
export function wholeNumber() {
  return z
    .union([z.number(), z.string()], { error: typeError('a whole number such as 123 or "123"') })
    .transform((value, ctx) => {
      const trimmed = typeof value === 'string' ? value.trim() : value;
      const n = typeof trimmed === 'number' ? trimmed : /^\d+$/.test(trimmed) ? Number(trimmed) : NaN;
      if (!Number.isSafeInteger(n) || n < 0) {
        ctx.issues.push({ code: 'custom', message: WHOLE_NUMBER, input: value });
        return z.NEVER;
      }
      return n;
    });
}

/** ISO 8601 date-time with `Z` or an offset, stored as UTC with `Z`. */
export function isoDateTime() {
  return z
    .string({ error: typeError('an ISO 8601 date-time string') })
    .trim()
    .pipe(
      z.iso.datetime({
        offset: true,
        error: 'must be an ISO 8601 date-time with a time zone, such as 2026-11-26T22:10:52Z',
      }),
    )
    .transform((value) => new Date(value).toISOString());
}

/** A strict properties object: unknown fields are rejected, one issue naming them. */
export function kindObject<Shape extends z.ZodRawShape>(kind: string, shape: Shape) {
  const accepted = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `is not a field of ${kind}; its fields are ${accepted}`
        : issue.input === undefined
          ? REQUIRED
          : `must be an object with the fields of ${kind}`,
  });
}

function isHostname(host: string): boolean {
  if (host.length > 253 || isIP(host) !== 0) return false;
  const labels = host.split('.');
  const tld = labels[labels.length - 1] ?? '';
  return (
    labels.length >= 2 && labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) && /[a-z]/.test(tld)
  );
}

function stripTrailingDot(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** A bare DNS host name (no scheme, port or path), lower-cased. */
export function hostname(example: string) {
  return text()
    .toLowerCase()
    .overwrite(stripTrailingDot)
    .refine(isHostname, {
      error: `must be a host name such as ${example}, without https://, a port or a path`,
    });
}

function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

type UrlCheck = { ok: true; host: string } | { ok: false; message: string };

function checkInstanceUrl(raw: string, suffixes: readonly string[], example: string): UrlCheck {
  const fail = (message: string): UrlCheck => ({ ok: false, message });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail(`must be a full URL such as ${example}`);
  }
  if (url.protocol !== 'https:') return fail(`must start with https://, such as ${example}`);
  if (url.username !== '' || url.password !== '') return fail('must not contain a user name or password');
  if (url.port !== '') return fail('must not name a port other than 443');
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return fail(`must be only the scheme and host, such as ${example}, without a path or query`);
  }
  const host = stripTrailingDot(url.hostname);
  if (!hostMatchesSuffixes(host, suffixes)) {
    return fail(`must be a host under ${listWords(normalizeSuffixes(suffixes))}`);
  }
  return { ok: true, host };
}

/**
 * An https instance URL whose host is under one of `suffixes`; stored as the bare origin
 * (`https://host`, lower-case, no trailing slash or default port).
 */
export function instanceUrl(suffixes: readonly string[], example: string) {
  return text().transform((raw, ctx) => {
    const checked = checkInstanceUrl(raw, suffixes, example);
    if (!checked.ok) {
      ctx.issues.push({ code: 'custom', message: checked.message, input: raw });
      return z.NEVER;
    }
    return `https://${checked.host}`;
  });
}

/** The host name of a URL as `new URL` reads it (a tenant host to vet), or undefined when it does not parse. */
export function urlHostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** Identity form of a URL: lower-case host (with a non-default port), no scheme or slash. */
export function urlIdentityHost(url: string): string {
  try {
    const u = new URL(url.trim());
    const host = stripTrailingDot(u.hostname);
    return u.port === '' ? host : `${host}:${u.port}`;
  } catch {
    return url.trim().toLowerCase();
  }
}

/**
 * Identity from a fingerprint of a secret, naming `secretField` so a masked value of that
 * field can be refused. When the caller sent the mask, `value` is absent at run time and
 * is handed to `ctx.fingerprint` as is: the service's context decides (it refuses the mask).
 */
export function fingerprintIdentity(field: string, value: string, ctx: IdentityContext): Identity {
  return { value: `fp:${ctx.fingerprint(value)}`, secretField: field };
}
