import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthContext } from '../../accounts/service.js';
import { AppError, UnauthorizedError } from '../../lib/errors.js';

/**
 * The caller of an authenticated route (every route that declares a scope): set by the
 * onRequest hook before any handler runs, so its absence is a wiring error answered as 401.
 */
export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new UnauthorizedError();
  return req.auth;
}

export const IdParams = z.object({ id: z.string().describe('UUID') });

export const ErrorBodySchema = z
  .object({
    summary: z.string(),
    validation_errors: z.record(z.string(), z.array(z.string())).optional(),
    request_id: z.string().optional(),
  })
  .describe('Error');

/** The error answers every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
  500: ErrorBodySchema,
};

/**
 * `If-Match: "v3"` → 3; absent or `*` → undefined (no precondition). Anything else cannot match
 * a version we issued: 412, rather than silently writing without the precondition asked for.
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = typeof header === 'string' ? header.trim() : '';
  if (value === '*') return undefined;
  const m = /^(?:W\/)?"v(\d{1,15})"$/.exec(value);
  if (!m)
    throw new AppError(412, 'If-Match must be an ETag this API answered (e.g. "v3") or *; read the credential again.');
  return Number(m[1]);
}

export function etag(version: number): string {
  return `"v${version}"`;
}
