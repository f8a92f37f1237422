import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  AppError,
  type ValidationErrors,
  bodyIssueOptions,
  invalidRequestSummary,
  stackFrames,
  toValidationErrors,
} from '../lib/errors.js';
import type { Logger } from 'pino';
import { isStorageUnavailable } from '../store/availability.js';

export interface ErrorBody {
  summary: string;
  validation_errors?: ValidationErrors;
  request_id?: string;
}

interface ZodLikeIssue {
  instancePath: string;
  message: string;
  keyword: string;
  params: { keys?: unknown };
}

/** Fastify's wrapped zod issues, back in zod's own shape. */
function unwrapIssues(issues: ZodLikeIssue[]) {
  return issues.map((i) => ({
    path: i.instancePath.split('/').filter(Boolean),
    code: i.keyword,
    message: i.message,
    ...(Array.isArray(i.params.keys) ? { keys: i.params.keys.map(String) } : {}),
  }));
}

/** A byte limit in MiB for a summary (1, 16, 0.5). */
const mib = (bytes: number): string => String(Math.round((bytes / (1024 * 1024)) * 100) / 100);

/** Maps Fastify's own errors (parsing, limits) to our statuses and summaries. */

function frameworkError(err: FastifyError, req: FastifyRequest): { status: number; summary: string } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, summary: 'Send the request body as JSON with "Content-Type: application/json".' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        summary: `The request body is larger than the ${mib(req.routeOptions.bodyLimit)} MiB limit of this route.`,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, summary: 'The request body is not valid JSON.' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, summary: 'The Content-Length header does not match the body.' };
    default:
      break;
  }
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return { status: 400, summary: 'The request body is not valid JSON.' };
  }
  return undefined;
}

export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  try {
    answerError(err, req, reply);
  } catch (failure) {
    // The error answer itself failed: still answer a generic 500, never the internals.
    req.log.error(
      {
        err: {
          type: failure instanceof Error ? failure.name : 'unknown',
          stack: stackFrames(failure),
        },
      },
      'error handler failed',
    );
    void reply.code(500).send({
      summary: `Something went wrong on our side. Quote request id ${String(req.id)} when reporting it.`,
      request_id: String(req.id),
    });
  }
}

function answerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = toValidationErrors(
      unwrapIssues(err.validation as unknown as ZodLikeIssue[]),
      bodyIssueOptions(err.validationContext),
    );
    void reply.code(422).send({
      summary: invalidRequestSummary(errors),
      validation_errors: errors,
    } satisfies ErrorBody);
    return;
  }
  if (!(err instanceof AppError) && !isStorageUnavailable(err)) {
    const mapped = frameworkError(err, req);
    if (mapped) {
      void reply.code(mapped.status).send({ summary: mapped.summary } satisfies ErrorBody);
      return;
    }
  }
  const answer = errorAnswer(err, String(req.id), req.log);
  void reply.code(answer.status).headers(answer.headers).send(answer.body);
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/**
 * The answer to an error a handler threw (ours, the store's or an unknown one), after logging
 * what must be logged (never request data). Shared by Fastify's error handler and the proxy's
 * edge (edge.ts), which answers before Fastify.
 */
export function errorAnswer(err: unknown, requestId: string, log: Pick<Logger, 'error' | 'warn'>): ErrorAnswer {
  if (err instanceof AppError) {
    const body: ErrorBody = { summary: err.summary };
    if ('validationErrors' in err) body.validation_errors = err.validationErrors as ValidationErrors;
    if (err.status >= 500) {
      log.error({ err: { type: err.name, message: err.summary } }, 'request failed');
      body.request_id = requestId;
    }
    return { status: err.status, headers: err.headers, body };
  }
  const e = err instanceof Error ? (err as Error & { code?: unknown }) : undefined;
  if (isStorageUnavailable(err)) {
    // PostgreSQL restarting, partitioned or too slow: a retry soon will most likely succeed.
    log.warn({ err: { type: e?.name, code: e?.code } }, 'storage unavailable');
    return {
      status: 503,
      headers: { 'retry-after': '1' },
      body: {
        summary: `The database is unavailable right now; retry shortly. Request id ${requestId}.`,
        request_id: requestId,
      },
    };
  }
  // Unknown failure: log type and stack (never request data), answer a generic summary.
  log.error({ err: { type: e?.name ?? 'unknown', code: e?.code, stack: stackFrames(err) } }, 'unhandled error');
  return {
    status: 500,
    headers: {},
    body: {
      summary: `Something went wrong on our side. Quote request id ${requestId} when reporting it.`,
      request_id: requestId,
    },
  };
}
