import { CREDENTIAL_MASK } from '../crypto/secret-box.js';
import { type ValidationErrors, toValidationErrors } from '../lib/errors.js';
import { type KindSpec } from '../providers/types.js';
import { KINDS } from '../providers/registry.js';

export interface ParsedProperties {
  spec: KindSpec;
  /** Validated properties without `kind` and without the masked secret fields. */
  props: Record<string, unknown>;
  /** Secret fields the caller sent as the mask: "keep the stored value" (docs/api.md §3.8). */
  masked: string[];
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
    toValidationErrors(
      parsed.error.issues,
      {
        prefix: 'properties',
        unknownField: 'is not a field of this kind',
        firstUnknownField: `is not a field of ${spec.kind}; its fields are ${Object.keys(spec.schema.shape).join(', ')}`,
        sayRequired: true,
      },
      errors,
    );
    return undefined;
  }
  return { spec, props: parsed.data as Record<string, unknown>, masked };
}
