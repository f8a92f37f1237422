export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

// isoSeconds answers in whole seconds: the last second formatted is kept, as every answer of
// a busy second formats that same second (import time, created_at, updated_at).
let lastSecond = Number.NaN;
let lastIso = '';

/** ISO 8601 UTC with Z and no milliseconds, as Sequin answers. */
export function isoSeconds(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second === lastSecond) return lastIso;
  const s = d.toISOString(); // an invalid date throws here (NaN never equals lastSecond)
  // toISOString always ends in ".sssZ": the cheap form of replace(/\.\d{3}Z$/, 'Z').
  lastIso = s.charCodeAt(s.length - 5) === 46 /* . */ ? `${s.slice(0, -5)}Z` : s;
  lastSecond = second;
  return lastIso;
}

/** ISO 8601 UTC with Z keeping milliseconds (fractional seconds are allowed by the contract). */
export function iso(d: Date): string {
  return d.toISOString();
}
