/** Per-token token bucket held in memory: `perSecond` sustained, one second of burst. */
export function createRateLimiter(perSecond: number, now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Returns 0 when allowed, else the seconds to wait before retrying. */
    take(key: string): number {
      if (perSecond <= 0) return 0;
      const t = now();
      const b = buckets.get(key) ?? { tokens: perSecond, at: t };
      b.tokens = Math.min(perSecond, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
      if (b.tokens < 1) {
        buckets.set(key, b);
        return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
      }
      b.tokens -= 1;
      if (buckets.size > 100_000) buckets.clear();
      buckets.set(key, b);
      return 0;
    },
  };
}

/**
 * Failed authentications per client address in fixed one-minute windows: an address past its
 * budget is answered 429 before its tokens are looked up (each lookup is a database query).
 */
export function createFailureLimiter(perMinute: number, now: () => number = Date.now) {
  const windows = new Map<string, { start: number; failures: number }>();
  const current = (address: string, t: number) => {
    const w = windows.get(address);
    return w && t - w.start < 60_000 ? w : undefined;
  };
  return {
    /** Seconds until the address may try again; 0 when it may now. */
    blocked(address: string): number {
      if (perMinute <= 0) return 0;
      const t = now();
      const w = current(address, t);
      return w && w.failures >= perMinute ? Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000)) : 0;
    },
    fail(address: string): void {
      if (perMinute <= 0) return;
      const t = now();
      const w = current(address, t);
      if (w) w.failures++;
      else {
        if (windows.size > 100_000) windows.clear();
        windows.set(address, { start: t, failures: 1 });
      }
    },
  };
}
