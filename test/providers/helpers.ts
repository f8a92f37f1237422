import { toValidationErrors } from '../../src/lib/errors.js';
import { KIND_SPECS } from '../../src/providers/registry.js';
import type { Identity, KindSpec } from '../../src/providers/types.js';
import type { Kind } from '../../src/providers/registry.js';
import { ctx, NOW } from './fixtures.js';

export type ImportResult =
  { ok: true; props: Record<string, unknown>; identity: Identity } | { ok: false; issues: Record<string, string[]> };

/** What the import service does with properties: schema, finalize, identity. */
export function importProps(
  kind: Kind,
  input: unknown,
  spec: KindSpec = KIND_SPECS[kind],
  now: Date = NOW,
): ImportResult {
  const parsed = spec.schema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: toValidationErrors(parsed.error.issues) };
  const final = spec.finalize ? spec.finalize(parsed.data, { now }) : { ok: true as const, props: parsed.data };
  if (!final.ok) return { ok: false, issues: final.issues };
  return { ok: true, props: final.props, identity: spec.identity(final.props, ctx) };
}

export function expectOk(result: ImportResult): { props: Record<string, unknown>; identity: Identity } {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.issues)}`);
  return result;
}

export function expectIssues(result: ImportResult): Record<string, string[]> {
  if (result.ok) throw new Error(`expected issues, got ${JSON.stringify(result.props)}`);
  return result.issues;
}

export function without(obj: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));
}
