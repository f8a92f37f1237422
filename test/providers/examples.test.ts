/** The OpenAPI example of each kind is accepted by that kind's own schema (src/providers/examples.ts). */
import { describe, expect, it } from 'vitest';
import { parseProperties } from '../../src/credentials/validate.js';
import { KIND_EXAMPLES } from '../../src/providers/examples.js';
import { KINDS, KIND_SPECS, resolveKind } from '../../src/providers/registry.js';
import { kindPropertiesSchema } from '../../src/http/openapi/kinds.js';

describe('kind examples', () => {
  it.each(KINDS)('%s: the example validates and the schema marks exactly its secret fields writeOnly', (kind) => {
    const errors = {};
    const parsed = parseProperties(
      { kind, ...KIND_EXAMPLES[kind] },
      (k) => {
        const r = resolveKind(k);
        return r ? KIND_SPECS[r] : undefined;
      },
      errors,
    );
    expect(errors).toEqual({});
    expect(parsed?.spec.kind).toBe(kind);
    const json = kindPropertiesSchema(kind) as {
      properties: Record<string, { writeOnly?: boolean }>;
      required: string[];
    };
    const writeOnly = Object.entries(json.properties)
      .filter(([, p]) => p.writeOnly === true)
      .map(([k]) => k);
    expect(writeOnly.sort()).toEqual([...KIND_SPECS[kind].secretFields].sort());
    expect(json.required[0]).toBe('kind');
  });
});
