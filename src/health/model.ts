import { isoSeconds } from '../lib/clock.js';
import { type HealthReason, type ProviderFailure, TRANSIENT_REASONS } from '../providers/module.js';

export type HealthStatus = 'pending' | 'ok' | 'warn' | 'error';

/** The `health` object of a credential (docs/api.md §1 plus our extra fields). */
export interface Health {
  status: HealthStatus;
  notes: string[];
  time: string;
  reason: HealthReason | null;
  checked_at: string | null;
  last_ok_at: string | null;
  next_check_at: string | null;
  consecutive_failures: number;
}

export interface SchedulePolicy {
  /** Seconds between routine checks (CREDVAULT_CHECK_INTERVAL_SECONDS). */
  intervalSeconds: number;
  /** Seconds before token expiry at which a refresh is due (CREDVAULT_REFRESH_MARGIN_SECONDS). */
  refreshMarginSeconds: number;
  /** Random number in [0, 1), injected so tests are deterministic. */
  random: () => number;
}

/** Transient failures this many times in a row, over at least a day without success, become `warn`. */
const TRANSIENT_WARN_AFTER = 5;
const TRANSIENT_WARN_WINDOW_MS = 24 * 3600 * 1000;
const BACKOFF_BASE_S = 60;

export function pendingHealth(now: Date, note?: string): Health {
  return {
    status: 'pending',
    notes: note ? [note] : [],
    time: isoSeconds(now),
    reason: null,
    checked_at: null,
    last_ok_at: null,
    next_check_at: null,
    consecutive_failures: 0,
  };
}

/** Reads a stored health object, filling fields older rows may lack. */
export function readHealth(raw: unknown, fallbackTime: Date): Health {
  const h = (raw ?? {}) as Partial<Health>;
  const status: HealthStatus = h.status === 'ok' || h.status === 'warn' || h.status === 'error' ? h.status : 'pending';
  return {
    status,
    notes: Array.isArray(h.notes) ? h.notes.filter((n): n is string => typeof n === 'string') : [],
    time: typeof h.time === 'string' ? h.time : isoSeconds(fallbackTime),
    reason: (h.reason ?? null) as HealthReason | null,
    checked_at: h.checked_at ?? null,
    last_ok_at: h.last_ok_at ?? null,
    next_check_at: h.next_check_at ?? null,
    consecutive_failures: typeof h.consecutive_failures === 'number' ? h.consecutive_failures : 0,
  };
}

/** When the routine check after a success (or a definitive failure) is due: interval ± 10 % jitter. */
export function nextRoutineCheck(now: Date, p: SchedulePolicy, tokenExpiresAt: Date | null): Date {
  const jitter = (p.random() * 0.2 - 0.1) * p.intervalSeconds;
  let at = now.getTime() + (p.intervalSeconds + jitter) * 1000;
  if (tokenExpiresAt) {
    // Refresh proactively: the next visit is due a margin before the token expires.
    const refreshAt = tokenExpiresAt.getTime() - p.refreshMarginSeconds * 1000;
    at = Math.min(at, Math.max(refreshAt, now.getTime() + 30_000));
  }
  return new Date(at);
}

/** Exponential backoff after transient failures: 1, 2, 4... minutes with jitter, capped at the interval. */
export function nextBackoffCheck(now: Date, failures: number, p: SchedulePolicy, retryAfterSeconds?: number): Date {
  const exp = Math.min(p.intervalSeconds, BACKOFF_BASE_S * 2 ** Math.max(0, failures - 1));
  const seconds = Math.max(exp * (0.8 + p.random() * 0.4), retryAfterSeconds ?? 0);
  return new Date(now.getTime() + seconds * 1000);
}

/** Health after a successful check. */
export function okHealth(now: Date, next: Date, warning?: { reason: HealthReason; note: string }): Health {
  return {
    status: warning ? 'warn' : 'ok',
    notes: warning ? [warning.note] : [],
    time: isoSeconds(now),
    reason: warning?.reason ?? null,
    checked_at: isoSeconds(now),
    last_ok_at: isoSeconds(now),
    next_check_at: isoSeconds(next),
    consecutive_failures: 0,
  };
}

export function isTransient(reason: HealthReason): boolean {
  return TRANSIENT_REASONS.has(reason);
}

/** Status a definitive failure sets (docs/kinds.md: 401/invalid_grant/revoked → error; 403/scopes → warn). */
export function failureStatus(reason: HealthReason): HealthStatus {
  return reason === 'forbidden' || reason === 'missing_scope' ? 'warn' : 'error';
}

/**
 * Health after a failed check. A transient failure keeps the status (and its time), adds a
 * note and backs off; only a long run of them turns into `warn`.
 */
export function failedHealth(prev: Health, f: ProviderFailure, now: Date, next: Date): Health {
  const failures = prev.consecutive_failures + 1;
  if (isTransient(f.reason)) {
    const lastOk = prev.last_ok_at ? new Date(prev.last_ok_at).getTime() : undefined;
    const longOutage =
      failures >= TRANSIENT_WARN_AFTER && (lastOk === undefined || now.getTime() - lastOk >= TRANSIENT_WARN_WINDOW_MS);
    const retry = `credvault will retry at ${isoSeconds(next)}.`;
    const escalate = longOutage && prev.status !== 'error';
    return {
      status: escalate ? 'warn' : prev.status,
      notes: [
        `${f.note} ${retry}`,
        ...(escalate
          ? [`The provider has failed ${failures} checks in a row; the credential's state is unknown.`]
          : []),
      ],
      time: escalate ? isoSeconds(now) : prev.time,
      reason: f.reason,
      checked_at: isoSeconds(now),
      last_ok_at: prev.last_ok_at,
      next_check_at: isoSeconds(next),
      consecutive_failures: failures,
    };
  }
  return {
    status: failureStatus(f.reason),
    notes: [f.note],
    time: isoSeconds(now),
    reason: f.reason,
    checked_at: isoSeconds(now),
    last_ok_at: prev.last_ok_at,
    next_check_at: isoSeconds(next),
    consecutive_failures: failures,
  };
}

/**
 * The row changes a failed check or refresh writes (a WorkResult of store.ts): the failed health,
 * and the next check (a backoff for transient reasons, the routine interval otherwise).
 */
export function failureResult(rawHealth: unknown, f: ProviderFailure, now: Date, policy: SchedulePolicy) {
  const prev = readHealth(rawHealth, now);
  const next = isTransient(f.reason)
    ? nextBackoffCheck(now, prev.consecutive_failures + 1, policy, f.retryAfterSeconds)
    : nextRoutineCheck(now, policy, null);
  const health = failedHealth(prev, f, now, next);
  return {
    health: { ...health },
    healthStatus: health.status,
    nextCheckAt: next,
    consecutiveFailures: health.consecutive_failures,
  };
}
