export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** ISO 8601 UTC with Z and no milliseconds, as Sequin answers. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO 8601 UTC with Z keeping milliseconds (fractional seconds are allowed by the contract). */
export function iso(d: Date): string {
  return d.toISOString();
}
