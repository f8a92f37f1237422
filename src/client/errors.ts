/**
 * The client's error and `unwrap`, apart from openapi-fetch so the CLI can use them without
 * loading it (docs/architecture.md "CLI"). Re-exported by client/index.ts.
 */
import type { paths } from './generated/openapi.js';

type JsonOf<T> = T extends { content: { 'application/json': infer J } } ? J : never;
type Post<P extends keyof paths> = paths[P] extends { post: infer O } ? O : never;
type Answer<O, S extends number> = O extends { responses: infer R }
  ? S extends keyof R
    ? JsonOf<R[S]>
    : never
  : never;

export type ErrorBody = Answer<Post<'/v1/credentials'>, 422>;

/** An answer other than 2xx, with the server's error body (`summary`, `validation_errors`). */
export class CredvaultError extends Error {
  readonly status: number;
  readonly body: ErrorBody | undefined;
  constructor(status: number, body: ErrorBody | undefined) {
    super(body?.summary ? `${status}: ${body.summary}` : `credvault answered ${status}`);
    this.name = 'CredvaultError';
    this.status = status;
    this.body = body;
  }
}

function isErrorBody(v: unknown): v is ErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as { summary?: unknown }).summary === 'string';
}

/**
 * The answer's data, or a CredvaultError carrying the status and error body:
 * `const cred = await unwrap(client.GET('/v1/credentials/{id}', { params: { path: { id } } }))`.
 */
export async function unwrap<D>(
  call: Promise<{ data?: D; error?: unknown; response: Pick<Response, 'ok' | 'status'> }>,
): Promise<D> {
  const { data, error, response } = await call;
  if (response.ok && data !== undefined) return data;
  throw new CredvaultError(response.status, isErrorBody(error) ? error : undefined);
}
