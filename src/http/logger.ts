import type { LoggerOptions } from 'pino';

/**
 * Paths pino censors wherever they appear in a log object. Request bodies are never logged,
 * but every field that can hold a secret is listed anyway, so a future debug line cannot leak one.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.consumer_secret',
  '*.token_secret',
  '*.access_token',
  '*.refresh_token',
  '*.api_key',
  '*.private_key',
  '*.token',
  '*.*.secret',
  '*.*.access_token',
  '*.*.refresh_token',
  '*.*.password',
  '*.*.client_secret',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}
