import type { z } from 'zod';
import { CREDENTIAL_MASK } from '../crypto/secret-box.js';
import { type ValidationErrors, addReason } from '../lib/errors.js';
import { KINDS, type KindSpec } from '../providers/types.js';

export interface ParsedProperties {
  spec: KindSpec;
  /** Validated properties without `kind` and without the masked secret fields. */
  props: Record<string, unknown>;
  /** Secret fields the caller sent as the mask: "keep the stored value" (api.md §3.8). */
  masked: string[];
}

/** Turns zod issues into `validation_errors` entries under `prefix`. */
export function zodIssuesTo(errors: ValidationErrors, prefix: string, issues: z.core.$ZodIssue[], firstUnknown?: string): void {
  const add = (path: string, reason: string) => addReason(errors, path, reason);
  // The kind's accepted fields are stated once (on the first unknown field), not with each one.
  let unknownReason = firstUnknown ?? 'is not a field of this kind';
  for (const issue of issues) {
    const base = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        add(`${base}.${k}`, unknownReason);
        unknownReason = 'is not a field of this kind';
      }
    } else if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      add(base, 'is required');
    } else {
      add(base, issue.message);
    }
  }
}

/**
 * Resolves the kind and validates `properties` against its own schema. Errors are added to
 * `errors` with dotted paths; the result is undefined when the kind itself is unusable.
 */
export function parseProperties(
  raw: Record<string, unknown>,
  resolve: (kind: string) => KindSpec | undefined,
  errors: ValidationErrors,
): ParsedProperties | undefined {
  const { kind, ...rest } = raw;
  const spec = typeof kind === 'string' ? resolve(kind) : undefined;
  if (!spec) {
    errors['properties.kind'] = [`must be one of: ${KINDS.join(', ')}`];
    return undefined;
  }
  const secretFields: readonly string[] = spec.secretFields;
  const masked = secretFields.filter((f) => rest[f] === CREDENTIAL_MASK);
  for (const f of masked) delete rest[f];
  const mask: Record<string, true> = Object.fromEntries(masked.map((f) => [f, true] as const));
  const schema = masked.length > 0 ? spec.schema.partial(mask as Record<string, never>) : spec.schema;
  const parsed = schema.safeParse(rest, { reportInput: false });
  if (!parsed.success) {
    zodIssuesTo(errors, 'properties', parsed.error.issues, `is not a field of ${spec.kind}; its fields are ${Object.keys(spec.schema.shape).join(', ')}`);
    return undefined;
  }
  return { spec, props: parsed.data as Record<string, unknown>, masked };
}
