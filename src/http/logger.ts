import type { LoggerOptions } from 'pino';
import { SECRET_FIELD_NAMES } from '../providers/registry.js';

/**
 * Secret-bearing names that are not a credential kind's secret fields: request headers, the
 * OAuth app's client secret and GitHub App key, tokens in general.
 */
const OTHER_SECRET_NAMES = [
  'authorization',
  'password',
  'secret',
  'client_secret',
  'access_token',
  'refresh_token',
  'api_key',
  'private_key',
  'token',
];

/**
 * Paths pino censors wherever they appear in a log object. Request bodies are never logged,
 * but every field that can hold a secret is listed anyway, so a future debug line cannot leak
 * one. The field names come from the kinds' declared secret fields (registry), so a new kind's
 * secrets are redacted without editing this list.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'headers.authorization',
  ...[...new Set([...OTHER_SECRET_NAMES, ...SECRET_FIELD_NAMES])].flatMap((name) => [`*.${name}`, `*.*.${name}`]),
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  };
}
