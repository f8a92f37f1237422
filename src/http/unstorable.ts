/**
 * Strings PostgreSQL cannot store: U+0000 (text and jsonb refuse it) and lone UTF-16
 * surrogates (they have no UTF-8 form: jsonb refuses the escape, text would silently store
 * U+FFFD instead). A request carrying one is refused up front (422 on its path) instead of
 * failing in the database as a 500 or being stored altered.
 */

const NUL_REASON = 'must not contain the NUL character (\\u0000)';
const SURROGATE_REASON =
  'must be well-formed Unicode: it contains a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair)';

// Node 20 has String.prototype.isWellFormed; the ES2022 lib typings do not declare it.
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

function unstorableReason(s: string): string | undefined {
  if (s.includes('\u0000')) return NUL_REASON;
  return isWellFormed(s) ? undefined : SURROGATE_REASON;
}

/** A member name as a path segment: NUL is shown escaped. */
const segment = (k: string) => k.split('\u0000').join('\\u0000');

/** The first unstorable string in a parsed body or query (values or member names), with its path and why. */
export function findUnstorable(value: unknown, path: string[] = []): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason === undefined ? undefined : { path: path.join('.') || '(body)', reason };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyReason = unstorableReason(k);
      if (keyReason !== undefined) return { path: [...path, segment(k)].join('.'), reason: keyReason };
      const found = findUnstorable(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Whether a parsed body or query holds an unstorable string anywhere: the allocation-free
 * check run on every request; findUnstorable, which builds the path, runs only when it is
 * true. Visits exactly what findUnstorable visits (own enumerable keys, array items).
 */
export function hasUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000') || !isWellFormed(value);
  if (Array.isArray(value)) {
    for (const item of value) if (hasUnstorable(item)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (Object.hasOwn(record, k) && (k.includes('\u0000') || !isWellFormed(k) || hasUnstorable(record[k])))
        return true;
    }
  }
  return false;
}
