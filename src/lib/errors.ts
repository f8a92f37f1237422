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

export class ValidationError extends AppError {
  readonly validationErrors: ValidationErrors;
  constructor(validationErrors: ValidationErrors, summary?: string) {
    const fields = Object.keys(validationErrors);
    super(
      422,
      summary ??
        `The request is invalid: check ${fields.length === 1 ? 'the field' : 'the fields'} ${fields.join(', ')}.`,
    );
    this.validationErrors = validationErrors;
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
  const existing = Object.hasOwn(errors, path) ? errors[path] : undefined;
  Object.defineProperty(errors, path, {
    value: [...(existing ?? []), reason],
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
