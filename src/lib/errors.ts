/** The one error hierarchy: each carries an HTTP status and a public summary. */
export class AppError extends Error {
  readonly status: number;
  readonly summary: string;
  readonly headers: Record<string, string>;
  constructor(status: number, summary: string, headers: Record<string, string> = {}) {
    super(summary);
    this.status = status;
    this.summary = summary;
    this.headers = headers;
  }
}

export type ValidationErrors = Record<string, string[]>;

/**
 * Caps on what one error body lists, so an invalid request can never amplify into a huge
 * answer (a bulk of unknown keys answered 67 MB): fields per body, reasons per field, and the
 * length of each reason. What is left out is counted under `(more)`: "and N more".
 */
export const MAX_FIELDS_PER_ERROR = 20;
const MAX_REASONS_PER_FIELD = 5;
const MAX_REASON_LENGTH = 500;
export const MORE_FIELDS_KEY = '(more)';

/** The capped form of `errors`; the one place validation_errors are bounded (see MAX_FIELDS_PER_ERROR). */
export function capValidationErrors(errors: ValidationErrors): ValidationErrors {
  const entries = Object.entries(errors);
  const fits = entries.length <= MAX_FIELDS_PER_ERROR;
  const kept = fits ? entries : entries.slice(0, MAX_FIELDS_PER_ERROR - 1);
  const out: ValidationErrors = {};
  // Capping a capped value changes nothing (a field keeps at most MAX_REASONS_PER_FIELD reasons,
  // "and N more" included; a cut reason is MAX_REASON_LENGTH long, "..." included).
  for (const [path, reasons] of kept) {
    const fitsReasons = reasons.length <= MAX_REASONS_PER_FIELD;
    const shown = (fitsReasons ? reasons : reasons.slice(0, MAX_REASONS_PER_FIELD - 1)).map((r) =>
      r.length > MAX_REASON_LENGTH ? `${r.slice(0, MAX_REASON_LENGTH - 3)}...` : r,
    );
    if (!fitsReasons) shown.push(`and ${reasons.length - shown.length} more`);
    addReasons(out, path, shown);
  }
  if (!fits) addReasons(out, MORE_FIELDS_KEY, [`and ${entries.length - kept.length} more fields with issues`]);
  return out;
}

/** "check the fields a, b and 12 more": the summary names at most the fields the body lists. */
export function checkFieldsSummary(errors: ValidationErrors): string {
  const fields = Object.keys(errors).filter((f) => f !== MORE_FIELDS_KEY);
  const more = errors[MORE_FIELDS_KEY] !== undefined ? ' and more (see validation_errors)' : '';
  return `The request is invalid: check ${fields.length === 1 && !more ? 'the field' : 'the fields'} ${fields.join(', ')}${more}.`;
}

export class ValidationError extends AppError {
  readonly validationErrors: ValidationErrors;
  constructor(validationErrors: ValidationErrors, summary?: string) {
    const capped = capValidationErrors(validationErrors);
    super(422, summary ?? checkFieldsSummary(capped));
    this.validationErrors = capped;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, `No ${what} with that id exists in this account.`);
  }
}

export class ConflictError extends AppError {
  constructor(summary: string) {
    super(409, summary);
  }
}

export class UnauthorizedError extends AppError {
  constructor(summary = 'Send a valid API token as "Authorization: Bearer <token>".') {
    super(401, summary);
  }
}

export class ForbiddenError extends AppError {
  constructor(scope: string) {
    super(403, `This API token lacks the "${scope}" scope needed for this request.`);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, `Too many requests for this API token; retry after ${retryAfterSeconds} second(s).`, {
      'retry-after': String(retryAfterSeconds),
    });
  }
}

/**
 * Adds a reason under a field path. Paths come from request bodies, so a key such as
 * `valueOf` or `__proto__` must never resolve to an inherited member.
 */
export function addReason(errors: ValidationErrors, path: string, reason: string): void {
  addReasons(errors, path, [reason]);
}

function addReasons(errors: ValidationErrors, path: string, reasons: string[]): void {
  const existing = Object.hasOwn(errors, path) ? errors[path] : undefined;
  Object.defineProperty(errors, path, {
    value: [...(existing ?? []), ...reasons],
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** One schema issue as zod reports it; Fastify's wrapped issues are turned back into this shape. */
export interface SchemaIssue {
  path: readonly PropertyKey[];
  code: string;
  message: string;
  /** For `unrecognized_keys`: the keys the schema does not know. */
  keys?: readonly string[];
}

export interface ValidationErrorsOptions {
  /** Path prefix of every entry (`properties`, `headers`); none by default. */
  prefix?: string;
  /** The reason given for a field the schema does not know; by default the schema's own message. */
  unknownField?: string;
  /** The reason given for the first unknown field only (say, the fields the schema accepts, stated once). */
  firstUnknownField?: string;
  /** The entry name of an issue about the whole value (empty path); by default the prefix alone. */
  wholeValue?: string;
  /** Reports a missing required field as `is required` instead of zod's type message. */
  sayRequired?: boolean;
}

/**
 * The one place schema issues become Sequin's `validation_errors` (route schemas, kind
 * properties, bulk items): one entry per dotted path, each unknown key its own entry. Limits on
 * how many issues an answer carries belong here.
 */
export function toValidationErrors(
  issues: readonly SchemaIssue[],
  opts: ValidationErrorsOptions = {},
  into: ValidationErrors = {},
): ValidationErrors {
  const join = (...parts: string[]) => parts.filter((p) => p !== '').join('.');
  let firstUnknown = opts.firstUnknownField;
  for (const issue of issues) {
    const path = join(opts.prefix ?? '', ...issue.path.map(String));
    if (issue.code === 'unrecognized_keys' && issue.keys !== undefined) {
      for (const k of issue.keys) {
        addReason(into, join(path, k), firstUnknown ?? opts.unknownField ?? issue.message);
        firstUnknown = undefined;
      }
    } else if (opts.sayRequired && issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
      addReason(into, path, 'is required');
    } else {
      addReason(into, path === '' || path === opts.prefix ? (opts.wholeValue ?? path) : path, issue.message);
    }
  }
  // Bounded here, in place, so every answer built from schema issues is capped (capValidationErrors).
  const capped = capValidationErrors(into);
  for (const k of Object.keys(into)) Reflect.deleteProperty(into, k);
  for (const [k, reasons] of Object.entries(capped)) addReasons(into, k, reasons);
  return into;
}

/** The summary of a request refused by its schema: `The request is invalid: check a, b.` (checkFieldsSummary). */
export function invalidRequestSummary(errors: ValidationErrors): string {
  return checkFieldsSummary(errors);
}

const REQUEST_PART_PREFIX: Record<string, string> = { body: '', querystring: '', params: '', headers: 'headers' };

/** toValidationErrors' options for a request part (`body`, `headers`...) that fails its route schema. */
export function bodyIssueOptions(part: string | undefined): ValidationErrorsOptions {
  const prefix = REQUEST_PART_PREFIX[part ?? 'body'] ?? '';
  return { prefix, unknownField: 'is not a known field', wholeValue: prefix === '' ? '(body)' : `${prefix}.(body)` };
}

/**
 * An unknown error's stack frames for a log line, without its first line: the message of an error
 * we did not make may carry what it was given (a provider's answer, a secret), and logs never
 * hold secrets (security.md). The frames say where; the type is logged beside them.
 */
export function stackFrames(err: unknown): string | undefined {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return undefined;
  const at = err.stack.indexOf('\n    at ');
  return at < 0 ? undefined : err.stack.slice(at + 1);
}
