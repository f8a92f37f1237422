/**
 * The OpenAPI document's finishing: what every route gets without writing it (docs/ "API
 * reference"). A route registered the usual way (`app.get/post/...` with a zod `schema` and
 * `config.scope`) is documented with:
 *
 * - an `operationId` (its `schema.operationId`, else derived from method and path),
 * - a description naming the scope it needs,
 * - the shared error answers it can give, as `#/components/responses/*`: 500 always; 401, 403
 *   and 429 (with Retry-After) when it has a scope; 400, 413, 415 and 422 when it takes a body;
 *   422 for a query string or path parameters; 404 for path parameters; 409 and 422 for an
 *   authenticated POST (its Idempotency-Key); any other error status it lists in
 *   `schema.response` (e.g. `409: ErrorBodySchema`) is pointed at the shared answer too,
 * - `Idempotency-Key` on every authenticated POST, and the headers named in `config.docs`
 *   (`If-Match` on the request; `ETag`, `Preference-Applied` on the success answer).
 *
 * Named schemas come from src/http/openapi/registry.ts (`component()`); unused ones are dropped.
 */
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  TAGS,
  ERROR_RESPONSES,
  HEADERS,
  BODY_ERRORS,
  PARAMETERS,
  ErrorSchema,
  ValidationErrorSchema,
  htmlAnswer,
} from './answers.js';
import { kindComponents } from './kinds.js';
import { openApiRegistry } from './registry.js';

type JsonObject = Record<string, unknown>;
type SwaggerTransform = ReturnType<typeof createJsonSchemaTransform>;
type SwaggerTransformObject = ReturnType<typeof createJsonSchemaTransformObject>;

/** What a route declares about its headers (route option `config.docs`). */
export interface RouteDocs {
  /** Request headers it reads besides Idempotency-Key (which every authenticated POST takes). */
  requestHeaders?: readonly 'If-Match'[];
  /** Headers its success answer carries. */
  responseHeaders?: readonly ('ETag' | 'Preference-Applied')[];
  /** Its answers are another server's, passed through (the proxy): declared as `2XX` and `default`, with no schema. */
  passThrough?: string;
  /**
   * A browser page (Connect's /link routes): the statuses it answers with an HTML page (or a
   * 302 redirect), each with what the page says. These replace the shared JSON error answer of
   * the same status, except the body errors (400/413/415/422), which a non-form body still gets as JSON.
   */
  html?: Readonly<Record<string, string>>;
}

interface RouteFacts {
  /** Set when one route serves several methods: each gets `${operationId}${Method}`. */
  multiMethodId: string | undefined;
  scope: string | undefined;
  /** False for a `config.rawBody` route (the proxy): its Idempotency-Key is the provider's. */
  claimsIdempotency: boolean;
  docs: RouteDocs;
  body: boolean;
  query: boolean;
  params: boolean;
}

/** `/v1/credentials/:id` → `/v1/credentials/{id}`; a trailing wildcard is `{*}`, as @fastify/swagger writes it. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{*}');
}

/** The wildcard parameter `*` is not a valid OpenAPI name: it is documented as `{path}`. */
function nameWildcard(doc: JsonObject): void {
  const paths = isObject(doc.paths) ? doc.paths : {};
  doc.paths = Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      if (!path.endsWith('/{*}') || !isObject(item)) return [path, item];
      for (const op of Object.values(item)) {
        const params: unknown[] = isObject(op) && Array.isArray(op.parameters) ? op.parameters : [];
        for (const p of params) if (isObject(p) && p.name === '*') p.name = 'path';
      }
      return [path.replace(/\{\*\}$/, '{path}'), item];
    }),
  );
}

const VERBS: Record<string, string> = { get: 'get', post: 'post', put: 'replace', patch: 'update', delete: 'delete' };

/** A stable operationId from method and path, for routes that do not name one. */
export function deriveOperationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'v1')
    .map((s) => (s.startsWith('{') ? `by-${s.slice(1, -1)}` : s))
    .flatMap((s) => s.split(/[-_.]/))
    .filter(Boolean);
  const verb = VERBS[method] ?? method;
  return [verb, ...words].map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scopeSentence(scope: string | undefined): string {
  return scope ? `Needs an API token with the \`${scope}\` scope.` : 'Public: no token needed.';
}

/** Every `$ref` target under `value`. */
function refsIn(value: unknown, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) refsIn(v, out);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else refsIn(v, out);
    }
  }
}

/** Drops the components nothing refers to (zod registers an input and an output variant of each). */
function pruneComponents(doc: JsonObject): void {
  const components = isObject(doc.components) ? doc.components : {};
  const reachable = new Set<string>();
  const pending: unknown[] = [doc.paths];
  while (pending.length > 0) {
    const found = new Set<string>();
    refsIn(pending.pop(), found);
    for (const ref of found) {
      if (reachable.has(ref)) continue;
      reachable.add(ref);
      const [, , section, name] = ref.split('/');
      const group = section ? components[section] : undefined;
      if (name && isObject(group)) pending.push(group[name]);
    }
  }
  for (const section of ['schemas', 'responses', 'parameters', 'headers']) {
    const group = components[section];
    if (!isObject(group)) continue;
    for (const name of Object.keys(group)) {
      if (!reachable.has(`#/components/${section}/${name}`)) delete group[name];
    }
  }
}

function toJson(schema: z.ZodType): JsonObject {
  const json = z.toJSONSchema(schema, { io: 'output', target: 'draft-2020-12' }) as JsonObject;
  delete json.$schema;
  return json;
}

/** The route transform and the document transform @fastify/swagger takes. */
export function createOpenApiTransforms(): { transform: SwaggerTransform; transformObject: SwaggerTransformObject } {
  const facts = new Map<string, RouteFacts>();
  const base = createJsonSchemaTransform({ schemaRegistry: openApiRegistry });
  const baseObject = createJsonSchemaTransformObject({ schemaRegistry: openApiRegistry });

  const transform: SwaggerTransform = (input) => {
    const out = base(input);
    const schema = out.schema as JsonObject | undefined;
    if (!schema || schema.hide === true) return out;
    const route = input.route;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const path = openApiPath(input.url);
    const config = isObject(route.config) ? route.config : {};
    const scope = typeof config.scope === 'string' ? config.scope : undefined;
    const method = (methods[0] ?? 'get').toLowerCase();
    const operationId = typeof schema.operationId === 'string' ? schema.operationId : deriveOperationId(method, path);
    const routeFacts: RouteFacts = {
      multiMethodId: methods.length > 1 ? operationId : undefined,
      scope,
      claimsIdempotency: config.rawBody !== true,
      docs: isObject(config.docs) ? (config.docs as RouteDocs) : {},
      body: schema.body !== undefined,
      query: schema.querystring !== undefined,
      params: schema.params !== undefined,
    };
    for (const m of methods) facts.set(`${m.toLowerCase()} ${path}`, routeFacts);
    const summary = typeof schema.summary === 'string' ? schema.summary : '';
    return {
      ...out,
      schema: {
        ...schema,
        operationId,
        description: [
          typeof schema.description === 'string' ? schema.description : `${summary}.`,
          scopeSentence(scope),
        ].join(' '),
      },
    };
  };

  const transformObject: SwaggerTransformObject = (input) => {
    const doc = baseObject(input) as unknown as JsonObject;
    finishDocument(doc, facts);
    return doc as unknown as ReturnType<SwaggerTransformObject>;
  };
  return { transform, transformObject };
}

function finishDocument(doc: JsonObject, facts: Map<string, RouteFacts>): void {
  const components = isObject(doc.components) ? doc.components : {};
  doc.components = components;
  const schemas: JsonObject = isObject(components.schemas) ? components.schemas : {};
  components.schemas = schemas;

  schemas.Error = toJson(ErrorSchema);
  schemas.ValidationError = toJson(ValidationErrorSchema);
  const kinds = kindComponents();
  Object.assign(schemas, kinds.components);
  for (const name of ['CredentialProperties', 'CredentialPropertiesInput']) {
    if (schemas[name] !== undefined) schemas[name] = kinds.union;
  }

  components.headers = HEADERS;
  components.parameters = PARAMETERS;
  components.responses = Object.fromEntries(
    Object.values(ERROR_RESPONSES).map((r) => [
      r.name,
      {
        description: r.description,
        ...(r.headers
          ? { headers: Object.fromEntries(r.headers.map((h) => [h, { $ref: `#/components/headers/${h}` }])) }
          : {}),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.schema}` } } },
      },
    ]),
  );

  const usedTags = new Set<string>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, shared] of Object.entries(item)) {
      if (!isObject(shared)) continue;
      // A route serving several methods hands each the same object: each gets its own.
      const op = structuredClone(shared);
      item[method] = op;
      const f = facts.get(`${method} ${path}`);
      if (Array.isArray(op.tags)) for (const t of op.tags) if (typeof t === 'string') usedTags.add(t);
      finishOperation(method, op, f);
    }
  }

  doc.servers = [
    {
      url: '{scheme}://{host}',
      description: 'Your credvault server (HOST and PORT; 127.0.0.1:8080 by default).',
      variables: { scheme: { default: 'http', enum: ['http', 'https'] }, host: { default: '127.0.0.1:8080' } },
    },
  ];
  doc.tags = [...usedTags].sort().map((name) => ({ name, description: TAGS[name] ?? name }));
  const info = isObject(doc.info) ? doc.info : {};
  doc.info = {
    ...info,
    contact: { name: 'The operators of this credvault server' },
    license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
  };
  nameWildcard(doc);
  pruneComponents(doc);
}

function finishOperation(method: string, op: JsonObject, f: RouteFacts | undefined): void {
  if (f?.multiMethodId) op.operationId = `${f.multiMethodId}${method.charAt(0).toUpperCase()}${method.slice(1)}`;
  const responses: JsonObject = isObject(op.responses) ? op.responses : {};
  op.responses = responses;
  if (f?.docs.passThrough) {
    responses['2XX'] = { description: f.docs.passThrough };
    responses.default = {
      description: `${f.docs.passThrough}, when it is not 2XX. credvault's own refusals carry X-Credvault-Proxy-Error and are the statuses listed.`,
    };
  }
  const statuses = new Set(Object.keys(responses).filter((s) => Number(s) >= 400));
  statuses.add('500');
  if (f?.scope) for (const s of ['401', '403', '429']) statuses.add(s);
  if (f?.body) for (const s of ['400', '413', '415', '422']) statuses.add(s);
  if (f?.query || f?.params) statuses.add('422');
  if (f?.params) statuses.add('404');
  const idempotent = method === 'post' && f?.scope !== undefined && f.claimsIdempotency;
  if (idempotent) for (const s of ['409', '422']) statuses.add(s);
  const html = f?.docs.html ?? {};
  for (const s of [...statuses].sort()) {
    const shared = ERROR_RESPONSES[s];
    if (shared && !(s in html)) responses[s] = { $ref: `#/components/responses/${shared.name}` };
  }
  // A page declares its successes itself: not the framework's placeholder 200.
  if (Object.keys(html).length > 0)
    for (const k of Object.keys(responses)) if (Number(k) < 400 && !(k in html)) delete responses[k];
  for (const [s, description] of Object.entries(html))
    responses[s] = htmlAnswer(s, description, f?.body === true && BODY_ERRORS.has(s) && statuses.has(s));

  for (const [status, answer] of Object.entries(responses)) {
    if (Number(status) >= 400 || !isObject(answer)) continue;
    if (answer.description === 'Default Response') answer.description = status === '201' ? 'Created' : 'OK';
    const headers = f?.docs.responseHeaders ?? [];
    if (headers.length > 0)
      answer.headers = Object.fromEntries(headers.map((h) => [h, { $ref: `#/components/headers/${h}` }]));
  }

  const parameters: unknown[] = Array.isArray(op.parameters) ? op.parameters : [];
  if (idempotent) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  if (f?.docs.requestHeaders?.includes('If-Match')) parameters.push({ $ref: '#/components/parameters/IfMatch' });
  if (parameters.length > 0) op.parameters = parameters;
}
