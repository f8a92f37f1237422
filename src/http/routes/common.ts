import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthContext } from '../../accounts/service.js';
import { UnauthorizedError } from '../../lib/errors.js';

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

/** `If-Match: "v3"` → 3; absent or unparsable → undefined. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^(?:W\/)?"v(\d+)"$/.exec(header.trim());
  return m ? Number(m[1]) : undefined;
}

export function etag(version: number): string {
  return `"v${version}"`;
}
