/**
 * Telling "the database is unreachable or timed out" apart from every other failure: those
 * answer 503 with Retry-After (the service rides through a PostgreSQL restart or a partition),
 * the scheduler backs off instead of logging every second, and start-up waits for them.
 */

/** Socket-level failures (node:net) toward the database. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/**
 * SQLSTATEs meaning the server is going away, not answering in time or not taking connections:
 * class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up), 57014 (statement
 * timeout), 53300 (too many connections).
 */
function unavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '57014' ||
    code === '53300'
  );
}

/** Messages pg gives without a code when a connection ends, times out or cannot be used. */
const PG_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Connection ended|timeout expired)/;

export function isStorageUnavailable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && unavailableSqlState(code)))
  )
    return true;
  if (PG_MESSAGES.test(err.message)) return true;
  // AggregateError (several addresses refused) and wrapped causes.
  if (err instanceof AggregateError) return err.errors.some(isStorageUnavailable);
  return err.cause !== undefined && err.cause !== err && isStorageUnavailable(err.cause);
}

/** A short, secret-free description of why the database is unavailable (logs only). */
export function unavailableCause(err: unknown): string {
  if (!(err instanceof Error)) return 'unknown';
  const code = (err as { code?: unknown }).code;
  if (err instanceof AggregateError && err.errors[0] instanceof Error) return unavailableCause(err.errors[0]);
  const message = err.message.split('\n')[0]?.slice(0, 200) ?? '';
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Thrown when the database is known to be unreachable (e.g. a ping that did not answer in time). */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}
