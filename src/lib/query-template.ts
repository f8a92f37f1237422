import { type Compilable, CompiledQuery, createQueryId } from 'kysely';

/**
 * A Kysely query compiled once and then executed many times with other values.
 *
 * Building and compiling a query with Kysely costs more CPU per request than the hot paths
 * can afford (operation-node trees, parsers, freezes, the compiler's visitor). A template is
 * built by the very same Kysely builder, with marker strings in place of the values; the
 * compiled SQL is kept and each parameter slot remembers which named value fills it (or the
 * constant the builder itself put there). Binding is then a plain array map. store/db.ts
 * runTemplate executes them (as named prepared statements on PostgreSQL).
 */
export interface QueryTemplate<O> {
  readonly sql: string;
  /** Prepared-statement name on PostgreSQL (store/db.ts runTemplate): one per distinct SQL text. */
  readonly name: string;
  readonly query: CompiledQuery<O>['query'];
  /** Per parameter: the name of the value that fills it, or a constant from the builder. */
  readonly slots: ReadonlyArray<{ name: string } | { constant: unknown }>;
}

const MARKER = '\u0000credvault-query-param:';

/** SQL text of every template → the name it is prepared under (one per distinct text). */
const preparedNames = new Map<string, string>();

/** Builds the template; `param(name)` stands for a value supplied to bindTemplate later. */
export function compileTemplate<O>(build: (param: (name: string) => string) => Compilable<O>): QueryTemplate<O> {
  const names = new Set<string>();
  const compiled = build((name) => {
    names.add(name);
    return MARKER + name;
  }).compile();
  const slots = compiled.parameters.map((p) => {
    if (typeof p === 'string' && p.includes(MARKER)) {
      const name = p.startsWith(MARKER) ? p.slice(MARKER.length) : undefined;
      // A marker folded into a larger value (e.g. inside JSON) cannot be substituted.
      if (name === undefined || !names.has(name))
        throw new Error('A query template parameter was transformed by the builder.');
      return { name };
    }
    return { constant: p };
  });
  let name = preparedNames.get(compiled.sql);
  if (name === undefined) {
    name = `credvault_q${preparedNames.size + 1}`;
    preparedNames.set(compiled.sql, name);
  }
  return { sql: compiled.sql, name, query: CompiledQuery.raw(compiled.sql).query, slots };
}

/** The parameters of the template with `values` in its slots. */
export function templateParameters(
  template: QueryTemplate<unknown>,
  values: Readonly<Record<string, unknown>>,
): unknown[] {
  return template.slots.map((s) => ('name' in s ? values[s.name] : s.constant));
}

/** The template with `values` in its slots, ready for `db.executeQuery`. */
export function bindTemplate<O>(
  template: QueryTemplate<O>,
  values: Readonly<Record<string, unknown>>,
): CompiledQuery<O> {
  return {
    sql: template.sql,
    query: template.query,
    parameters: templateParameters(template, values),
    queryId: createQueryId(),
  };
}

/** True when `v` is passed to the driver as a plain parameter by Kysely (no SQL expression, no undefined). */
export function isPlainParameter(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return true;
    case 'object':
      return v instanceof Date || Buffer.isBuffer(v) || v instanceof Uint8Array;
    default:
      return false;
  }
}
