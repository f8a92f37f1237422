/**
 * The upstream URL of a proxied call: the base joined with the caller's path, which must stay
 * under the base (proxy spec, "Rules"). The path is taken as the caller sent it (still
 * percent-encoded) and refused when any segment could leave the base: `.`/`..` (also encoded),
 * encoded `/` or `\`, backslashes, empty segments (`//`), a first segment with `@` or `:`
 * (userinfo, a scheme: an absolute URL), control characters. The joined URL must then keep the
 * base's origin and path prefix, checked again on the parsed result.
 */

export type JoinResult = { ok: true; url: URL } | { ok: false; why: string };

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Why the caller's path or query cannot be proxied under any base, or undefined when it can.
 * Run before anything else is looked at (an escape attempt is a 400 first); joinChecked then
 * joins the same path to the credential's base.
 */
export function checkPath(rawPath: string, rawQuery: string): string | undefined {
  if (rawPath.includes('\\')) return 'backslashes are not allowed in the path';
  const segments = rawPath === '' ? [] : rawPath.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const decoded = segment.includes('%') ? decode(segment) : segment;
    if (decoded === undefined) return 'the path has an invalid percent-encoding';
    // An empty segment is `//`; only a trailing slash is allowed.
    if (segment === '' && i !== segments.length - 1) return 'empty path segments (//) are not allowed';
    if (decoded === '.' || decoded === '..') return 'dot segments (. and ..) are not allowed in the path';
    if (/[/\\]/.test(decoded)) return 'encoded slashes are not allowed in the path';
    if (CONTROL.test(decoded)) return 'control characters are not allowed in the path';
    if (i === 0 && /[@:]/.test(decoded))
      return 'the path must be relative to the provider API (no scheme, host or user)';
  }
  if (CONTROL.test(rawQuery) || rawQuery.includes('#')) return 'the query string has characters that are not allowed';
  return undefined;
}

/** A base's origin and path prefix, parsed once per base (bases are a module's few URLs and tenant hosts). */
const bases = new Map<string, { origin: string; prefix: string }>();
const BASES_MAX = 1024;

function baseParts(base: string): { origin: string; prefix: string } {
  let parts = bases.get(base);
  if (parts === undefined) {
    const b = new URL(base);
    parts = { origin: b.origin, prefix: b.pathname.replace(/\/+$/, '') };
    if (bases.size >= BASES_MAX) bases.clear();
    bases.set(base, parts);
  }
  return parts;
}

/** Joins a path that passed checkPath to the base; the parsed result must stay under the base. */
export function joinChecked(base: string, rawPath: string, rawQuery: string): JoinResult {
  let origin: string;
  let prefix: string;
  let url: URL;
  try {
    ({ origin, prefix } = baseParts(base));
    url = new URL(`${origin}${prefix}/${rawPath}${rawQuery === '' ? '' : `?${rawQuery}`}`);
  } catch {
    return { ok: false, why: 'the path does not make a valid URL' };
  }
  if (
    url.origin !== origin ||
    !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    return { ok: false, why: 'the path would leave the provider API' };
  }
  return { ok: true, url };
}

export function joinUpstream(base: string, rawPath: string, rawQuery: string): JoinResult {
  const why = checkPath(rawPath, rawQuery);
  return why === undefined ? joinChecked(base, rawPath, rawQuery) : { ok: false, why };
}
