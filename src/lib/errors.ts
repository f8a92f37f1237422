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
  for (const [path, reasons] of kept) {
    const shown = reasons.slice(0, MAX_REASONS_PER_FIELD).map((r) => (r.length > MAX_REASON_LENGTH ? `${r.slice(0, MAX_REASON_LENGTH)}...` : r));
    if (reasons.length > shown.length) shown.push(`and ${reasons.length - shown.length} more`);
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
