/**
 * The upstream URL of a proxied call: the base joined with the caller's path, which must stay
 * under the base (proxy spec, "Rules"). The path is taken as the caller sent it (still
 * percent-encoded) and refused when any segment could leave the base: `.`/`..` (also encoded),
 * encoded `/` or `\`, backslashes, empty segments (`//`), a first segment with `@` or `:`
 * (userinfo, a scheme: an absolute URL), control characters. The joined URL must then keep the
 * base's origin and path prefix, checked again on the parsed result.
 */

export type JoinResult = { ok: true; url: string } | { ok: false; why: string };

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function joinUpstream(base: string, rawPath: string, rawQuery: string): JoinResult {
  if (rawPath.includes('\\')) return { ok: false, why: 'backslashes are not allowed in the path' };
  const segments = rawPath === '' ? [] : rawPath.split('/');
  for (const [i, segment] of segments.entries()) {
    const decoded = decode(segment);
    if (decoded === undefined) return { ok: false, why: 'the path has an invalid percent-encoding' };
    // An empty segment is `//`; only a trailing slash is allowed.
    if (segment === '' && i !== segments.length - 1)
      return { ok: false, why: 'empty path segments (//) are not allowed' };
    if (decoded === '.' || decoded === '..')
      return { ok: false, why: 'dot segments (. and ..) are not allowed in the path' };
    if (/[/\\]/.test(decoded)) return { ok: false, why: 'encoded slashes are not allowed in the path' };
    if (CONTROL.test(decoded)) return { ok: false, why: 'control characters are not allowed in the path' };
    if (i === 0 && /[@:]/.test(decoded))
      return { ok: false, why: 'the path must be relative to the provider API (no scheme, host or user)' };
  }
  if (CONTROL.test(rawQuery) || rawQuery.includes('#'))
    return { ok: false, why: 'the query string has characters that are not allowed' };
  const b = new URL(base);
  const prefix = b.pathname.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${b.origin}${prefix}/${rawPath}${rawQuery === '' ? '' : `?${rawQuery}`}`);
  } catch {
    return { ok: false, why: 'the path does not make a valid URL' };
  }
  if (
    url.origin !== b.origin ||
    !(url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    return { ok: false, why: 'the path would leave the provider API' };
  }
  return { ok: true, url: url.toString() };
}
