/**
 * PostgreSQL text and jsonb cannot hold U+0000; a request carrying one is refused up front
 * (422 on its path) instead of failing in the database.
 */
export function findNulPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(body)' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = findNulPath(value[i], [...path, String(i)]);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, k.split('\u0000').join('\\u0000')].join('.');
      const p = findNulPath(v, [...path, k]);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}
