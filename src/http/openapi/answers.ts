/**
 * The shared vocabulary of the OpenAPI document (document.ts applies it to every route): tags,
 * the error answers by status, response headers, request parameters, the Error and
 * ValidationError schemas, and the answer of a /link browser page.
 */
import { z } from 'zod';

type JsonObject = Record<string, unknown>;

export const TAGS: Record<string, string> = {
  credentials: 'Third-party credentials: import, list, change, delete, export.',
  health: 'Checks of credentials against their providers, and access tokens.',
  'oauth-apps': 'OAuth apps (client id and secret) that credentials refresh with.',
  accounts: 'Accounts (admin).',
  'api-tokens': 'API tokens of this account.',
  audit: 'Audit events of this account.',
  keys: 'Master key status: the primary key id and the key ids each node holds (admin; never key material).',
  proxy: 'Calls to a provider API made with a stored credential (credentials:use).',
};

/** The shared error answers, by status. */
export const ERROR_RESPONSES: Record<
  string,
  { name: string; description: string; schema: string; headers?: string[] }
> = {
  '400': {
    name: 'BadRequest',
    description: 'The body is not valid JSON, or Content-Length does not match it.',
    schema: 'Error',
  },
  '401': {
    name: 'Unauthorized',
    description: 'No valid API token ("Authorization: Bearer <token>").',
    schema: 'Error',
  },
  '403': { name: 'Forbidden', description: 'The API token lacks the scope this request needs.', schema: 'Error' },
  '404': { name: 'NotFound', description: 'Nothing with that id exists in this account.', schema: 'Error' },
  '409': {
    name: 'Conflict',
    description:
      'The request conflicts with the current state (e.g. the same Idempotency-Key still running, an OAuth app in use, a refused credential).',
    schema: 'Error',
  },
  '412': {
    name: 'PreconditionFailed',
    description: 'If-Match names an older version: read the resource again.',
    schema: 'Error',
  },
  '413': {
    name: 'PayloadTooLarge',
    description: 'The body is larger than the route accepts (1 MiB; 16 MiB for bulk).',
    schema: 'Error',
  },
  '415': {
    name: 'UnsupportedMediaType',
    description: 'Send the body as JSON with "Content-Type: application/json".',
    schema: 'Error',
  },
  '422': {
    name: 'UnprocessableEntity',
    description: 'The request is invalid; `validation_errors` names each field at fault and why.',
    schema: 'ValidationError',
  },
  '429': {
    name: 'TooManyRequests',
    description: 'Too many requests for this API token; retry after Retry-After seconds.',
    schema: 'Error',
    headers: ['Retry-After'],
  },
  '500': {
    name: 'InternalError',
    description: 'Something failed on the server; quote `request_id` when reporting it.',
    schema: 'Error',
  },
  '503': {
    name: 'ServiceUnavailable',
    description: 'Busy or unreachable right now; retry after Retry-After seconds when given.',
    schema: 'Error',
    headers: ['Retry-After'],
  },
};

export const HEADERS: Record<string, JsonObject> = {
  ETag: {
    description: 'The version of the resource, e.g. "v3": send it back as If-Match to change only that version.',
    schema: { type: 'string', example: '"v3"' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  'Preference-Applied': {
    description: 'RFC 7240: the preference honoured, e.g. return=minimal.',
    schema: { type: 'string', enum: ['return=minimal'] },
  },
  Location: { description: 'Where the browser goes next.', schema: { type: 'string', format: 'uri' } },
};

export const BODY_ERRORS = new Set(['400', '413', '415', '422']);

/** The answer of a /link page status (RouteDocs.html): a redirect, or an HTML page (plus the JSON body error). */
export function htmlAnswer(status: string, description: string, jsonToo: boolean): JsonObject {
  if (status.startsWith('3')) return { description, headers: { Location: { $ref: '#/components/headers/Location' } } };
  const shared = ERROR_RESPONSES[status];
  const json = jsonToo && shared !== undefined;
  return {
    description: json ? `${description} A request body that is not a form gets the JSON error instead.` : description,
    ...(status === '429' ? { headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } } : {}),
    content: {
      ...(json ? { 'application/json': { schema: { $ref: `#/components/schemas/${shared.schema}` } } } : {}),
      'text/html': { schema: { type: 'string', description: 'An HTML page for the person in the browser.' } },
    },
  };
}

export const PARAMETERS: Record<string, JsonObject> = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Any unique string (1 to 255 characters). A retry with the same key and body answers the first answer again (24 h); with another body it is refused (422); while the first still runs, 409.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'The ETag you read (e.g. "v3"): the change is made only if the resource is still at that version, else 412.',
    schema: { type: 'string' },
  },
};

export const ErrorSchema = z.object({
  summary: z.string().describe('What went wrong and what to do, in one sentence.'),
  request_id: z.string().optional().describe('Present on 5xx answers: quote it when reporting.'),
});
export const ValidationErrorSchema = ErrorSchema.extend({
  validation_errors: z
    .record(z.string(), z.array(z.string()))
    .optional()
    .describe('Field path (e.g. properties.secret) → reasons. Absent when the request as a whole is refused.'),
});
