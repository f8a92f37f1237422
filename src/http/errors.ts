import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ValidationErrors, addReason, capValidationErrors, checkFieldsSummary } from '../lib/errors.js';

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

const CONTEXT_PREFIX: Record<string, string> = { body: '', querystring: '', params: '', headers: 'headers.' };

/** Turns schema issues into Sequin's `validation_errors`, keyed by dotted path. */
export function issuesToValidationErrors(issues: ZodLikeIssue[], context: string | undefined): ValidationErrors {
  const out: ValidationErrors = {};
  const prefix = CONTEXT_PREFIX[context ?? 'body'] ?? '';
  const add = (path: string, reason: string) => addReason(out, prefix + (path || '(body)'), reason);
  for (const issue of issues) {
    const path = issue.instancePath.split('/').filter(Boolean).join('.');
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
      for (const k of issue.params.keys) add(path ? `${path}.${String(k)}` : String(k), 'is not a known field');
    } else {
      add(path, issue.message);
    }
  }
  return out;
}

/** Maps Fastify's own errors (parsing, limits) to our statuses and summaries. */
/** A byte limit in MiB for a summary (1, 16, 0.5). */
const mib = (bytes: number): string => String(Math.round((bytes / (1024 * 1024)) * 100) / 100);

function frameworkError(err: FastifyError, req: FastifyRequest): { status: number; summary: string } | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, summary: 'Send the request body as JSON with "Content-Type: application/json".' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, summary: `The request body is larger than the ${mib(req.routeOptions.bodyLimit)} MiB limit of this route.` };
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
    req.log.error({ err: { type: failure instanceof Error ? failure.name : 'unknown', stack: failure instanceof Error ? failure.stack : undefined } }, 'error handler failed');
    void reply.code(500).send({ summary: `Something went wrong on our side. Quote request id ${String(req.id)} when reporting it.`, request_id: String(req.id) });
  }
}

function answerError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = capValidationErrors(issuesToValidationErrors(err.validation as unknown as ZodLikeIssue[], err.validationContext));
    void reply.code(422).send({ summary: checkFieldsSummary(errors), validation_errors: errors } satisfies ErrorBody);
    return;
  }
  if (err instanceof AppError) {
    const body: ErrorBody = { summary: err.summary };
    if ('validationErrors' in err) body.validation_errors = err.validationErrors as ValidationErrors;
    if (err.status >= 500) {
      req.log.error({ err: { type: err.name, message: err.summary } }, 'request failed');
      body.request_id = String(req.id);
    }
    void reply.code(err.status).headers(err.headers).send(body);
    return;
  }
  const mapped = frameworkError(err, req);
  if (mapped) {
    void reply.code(mapped.status).send({ summary: mapped.summary } satisfies ErrorBody);
    return;
  }
  // Unknown failure: log type and stack (never request data), answer a generic summary.
  req.log.error({ err: { type: err.name, code: err.code, stack: err.stack } }, 'unhandled error');
  void reply.code(500).send({
    summary: `Something went wrong on our side. Quote request id ${String(req.id)} when reporting it.`,
    request_id: String(req.id),
  } satisfies ErrorBody);
}
