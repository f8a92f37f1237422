/**
 * `properties` of an import as a discriminated union on `kind`, generated from the kind specs
 * that validate it (src/providers/registry.ts): each kind's strict zod schema becomes one
 * JSON Schema (required and optional fields, formats, enums, patterns), its secret fields are
 * marked `writeOnly` with a description, and its example comes from src/providers/examples.ts.
 */
import { z } from 'zod';
import { KIND_EXAMPLES } from '../../providers/examples.js';
import { KINDS, KIND_SPECS, type Kind } from '../../providers/registry.js';

type JsonObject = Record<string, unknown>;

/** `stripe_oauth2` → `StripeOauth2Properties`. */
export function kindComponentName(kind: Kind): string {
  return `${kind
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}Properties`;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A field such as `isoDateTime()` is a string piped into a format check: its input side alone
 * says only "string". The format and pattern the pipe's output side checks are what a caller
 * must send, so they are copied onto the input.
 */
function keepOutputFormat(ctx: { zodSchema: z.core.$ZodType; jsonSchema: z.core.JSONSchema.BaseSchema }): void {
  let def = ctx.zodSchema._zod.def;
  while (def.type === 'pipe' && 'out' in def) {
    const out = (def as z.core.$ZodPipeDef).out;
    const outJson = z.toJSONSchema(out, { io: 'input', unrepresentable: 'any' }) as JsonObject;
    for (const key of ['format', 'pattern'] as const) {
      const v = outJson[key];
      if (typeof v === 'string' && ctx.jsonSchema[key] === undefined) ctx.jsonSchema[key] = v;
    }
    def = out._zod.def;
  }
}

/** One kind's `properties` schema (what the import accepts, `kind` included). */
export function kindPropertiesSchema(kind: Kind): JsonObject {
  const spec = KIND_SPECS[kind];
  const json = z.toJSONSchema(spec.schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: keepOutputFormat,
  }) as JsonObject;
  delete json.$schema;
  const props: JsonObject = isObject(json.properties) ? { ...json.properties } : {};
  const secrets: readonly string[] = spec.secretFields;
  for (const field of secrets) {
    const p = props[field];
    if (!isObject(p)) continue;
    props[field] = {
      ...p,
      writeOnly: true,
      description: `${typeof p.description === 'string' ? `${p.description} ` : ''}Secret: encrypted at rest and answered only as the mask "***********"; send the mask back to keep the stored value.`,
    };
  }
  const names = [kind, ...spec.aliases];
  const kindField = {
    type: 'string',
    enum: names,
    description:
      names.length > 1
        ? `\`${kind}\` (or the alias ${spec.aliases.map((a) => `\`${a}\``).join(', ')}).`
        : `\`${kind}\`.`,
  };
  const required = Array.isArray(json.required) ? json.required.filter((r): r is string => typeof r === 'string') : [];
  const accessToken = spec.accessToken;
  const tokenNote =
    accessToken.from === 'field'
      ? `The access-token route answers \`${spec.tokenField ?? 'its secret'}\`.`
      : accessToken.from === 'refresh'
        ? 'The access-token route answers an access token refreshed with the refresh_token.'
        : accessToken.from === 'mint'
          ? 'The access-token route answers a short-lived token minted from the credential.'
          : `No access token: ${accessToken.why}`;
  return {
    type: 'object',
    title: kind,
    description: `A ${spec.provider} credential of kind \`${kind}\`; OAuth app ${spec.oauthApp}. ${tokenNote}`,
    properties: { kind: kindField, ...props },
    required: ['kind', ...required],
    additionalProperties: false,
    examples: [{ kind, ...KIND_EXAMPLES[kind] }],
  };
}

/** Every kind's component and the union referring to them, with the discriminator mapping aliases too. */
export function kindComponents(): { union: JsonObject; components: Record<string, JsonObject> } {
  const components: Record<string, JsonObject> = {};
  const mapping: Record<string, string> = {};
  for (const kind of KINDS) {
    const name = kindComponentName(kind);
    components[name] = kindPropertiesSchema(kind);
    for (const n of [kind, ...KIND_SPECS[kind].aliases]) mapping[n] = `#/components/schemas/${name}`;
  }
  const union = {
    description:
      "Credential properties: the fields depend on `kind`. Unknown fields are refused with the list of the kind's fields.",
    oneOf: KINDS.map((k) => ({ $ref: `#/components/schemas/${kindComponentName(k)}` })),
    discriminator: { propertyName: 'kind', mapping },
  };
  return { union, components };
}
