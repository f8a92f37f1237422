/**
 * Response serialization without a zod pass per answer.
 *
 * fastify-type-provider-zod's serializer runs `safeEncode` on every response and then
 * JSON.stringify: on the hot routes that is a large share of the CPU a request costs. Here each
 * zod response schema is turned once into JSON Schema (`z.toJSONSchema`, io "output", so it
 * describes what the schema answers) and compiled with fast-json-stringify. Like zod's object
 * parsing, the compiled serializer writes only the declared members of an object
 * (`additionalProperties: false`), so answers stay allowlisted.
 *
 * Only schemas whose JSON Schema fast-json-stringify renders exactly as zod + JSON.stringify
 * would are compiled: plain objects, arrays, records, primitives, enums, literals and nullable
 * variants of those. Anything else (unions of objects, intersections, transforms, optional
 * members declared before required ones, whose order fast-json-stringify would change) keeps
 * the zod serializer.
 */
import fastJson from 'fast-json-stringify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type JsonObject = { [key: string]: unknown };
type SerializerCompiler = typeof zodSerializerCompiler;

const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/** Keywords that only constrain values; fast-json-stringify ignores them while writing. */
const IGNORED_KEYWORDS = new Set([
  'description',
  'title',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'propertyNames',
  'enum',
]);

class Unsupported extends Error {}

/** Every member name but "__proto__" (see simplify). */
const NOT_PROTO = '^(?!__proto__$)';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(s: JsonObject): string | undefined {
  return typeof s.type === 'string' ? s.type : undefined;
}

/**
 * Rewrites one JSON Schema node into the subset fast-json-stringify renders like JSON.stringify
 * of zod's output, or throws Unsupported.
 */
function simplify(node: unknown): JsonObject {
  if (!isObject(node)) throw new Unsupported();
  if (Array.isArray(node.anyOf)) return simplifyAnyOf(node);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$schema':
      case 'format': // a string is written as a string either way
        break;
      case 'type':
        if (typeof value !== 'string' && !(Array.isArray(value) && value.every((t) => typeof t === 'string')))
          throw new Unsupported();
        out.type = value;
        break;
      case 'const':
        out.const = value;
        break;
      case 'properties': {
        if (!isObject(value)) throw new Unsupported();
        const props: JsonObject = {};
        for (const [name, sub] of Object.entries(value)) props[name] = simplify(sub);
        out.properties = props;
        break;
      }
      case 'required':
        if (!Array.isArray(value)) throw new Unsupported();
        out.required = value;
        break;
      case 'additionalProperties':
        out.additionalProperties = value === false ? false : simplify(value);
        break;
      case 'items':
        out.items = simplify(value);
        break;
      default:
        if (!IGNORED_KEYWORDS.has(key)) throw new Unsupported();
    }
  }
  const type = out.type;
  if (type === undefined) {
    // `{}` (z.unknown / z.any): written with JSON.stringify.
    if (Object.keys(out).length > 0) throw new Unsupported();
    return out;
  }
  const types = Array.isArray(type) ? (type as string[]) : [type as string];
  const structured = types.filter((t) => !PRIMITIVE_TYPES.has(t));
  if (structured.length > 1 || (structured.length === 1 && types.some((t) => t !== 'null' && t !== structured[0])))
    throw new Unsupported();
  // `integer` and `number` together would be ambiguous for fast-json-stringify.
  if (types.includes('integer') && types.includes('number')) throw new Unsupported();
  if (out.const !== undefined && structured.length > 0) throw new Unsupported();
  if (structured[0] === 'object') {
    // fast-json-stringify writes required members first; keep zod's order or refuse.
    const names = Object.keys(isObject(out.properties) ? out.properties : {});
    const required = new Set(Array.isArray(out.required) ? out.required : []);
    let seenOptional = false;
    for (const name of names) {
      if (!required.has(name)) seenOptional = true;
      else if (seenOptional) throw new Unsupported();
    }
    for (const name of required) if (!names.includes(String(name))) throw new Unsupported();
    if (out.additionalProperties === undefined) throw new Unsupported();
    if (out.additionalProperties !== false) {
      // zod builds records and catchalls by assignment, so an own "__proto__" member never
      // reaches its output: leave it out here too (the other undeclared members are written).
      out.patternProperties = { [NOT_PROTO]: out.additionalProperties };
      out.additionalProperties = false;
    }
  } else if (structured[0] === 'array') {
    if (out.items === undefined) throw new Unsupported();
  } else if (structured.length > 0) {
    throw new Unsupported();
  }
  return out;
}

/** `X | null` and unions of primitives become a `type` list; other unions are refused. */
function simplifyAnyOf(node: JsonObject): JsonObject {
  if (Object.keys(node).some((k) => k !== 'anyOf' && !IGNORED_KEYWORDS.has(k))) throw new Unsupported();
  const branches = (node.anyOf as unknown[]).map(simplify);
  const types = branches.map(typeOf);
  if (types.some((t) => t === undefined) || branches.some((b) => b.const !== undefined)) throw new Unsupported();
  const nonNull = branches.filter((b) => typeOf(b) !== 'null');
  if (nonNull.length === 0) throw new Unsupported();
  if (nonNull.length === 1 && branches.length === 2) {
    const [only] = nonNull;
    if (!only) throw new Unsupported();
    return { ...only, type: [typeOf(only), 'null'] };
  }
  if (nonNull.every((b) => Object.keys(b).length === 1 && PRIMITIVE_TYPES.has(typeOf(b) ?? ''))) {
    const distinct = [...new Set(types)];
    if (distinct.includes('integer') && distinct.includes('number')) throw new Unsupported();
    return { type: distinct };
  }
  throw new Unsupported();
}

/** A fast-json-stringify serializer for `schema`, or undefined when it must stay with zod. */
export function compileJsonSerializer(schema: z.ZodType): ((data: unknown) => string) | undefined {
  let json: JsonObject;
  try {
    json = simplify(
      z.toJSONSchema(schema, {
        io: 'output',
        target: 'draft-7',
        unrepresentable: 'throw',
        cycles: 'throw',
        reused: 'inline',
      }),
    );
  } catch {
    return undefined;
  }
  return fastJson(json as unknown as Parameters<typeof fastJson>[0]) as (data: unknown) => string;
}

/**
 * Fastify serializer compiler: fast-json-stringify for the zod schemas it can render exactly,
 * fastify-type-provider-zod's serializer for the others. One compiled function per schema.
 */
export function createFastSerializerCompiler(): SerializerCompiler {
  const cache = new WeakMap<object, ((data: unknown) => string) | null>();
  return (route) => {
    const { schema } = route;
    if (!(schema instanceof z.ZodType)) return zodSerializerCompiler(route);
    let compiled = cache.get(schema);
    if (compiled === undefined) {
      compiled = compileJsonSerializer(schema) ?? null;
      cache.set(schema, compiled);
    }
    return compiled ?? zodSerializerCompiler(route);
  };
}
