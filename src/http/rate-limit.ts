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
