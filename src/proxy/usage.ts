/**
 * Proxied calls are counted, not audited one by one (proxy spec, "Logs"): counts per credential,
 * token and hour are kept in memory and added every `flushMs` to ONE audit event per
 * (credential, token, hour), `credential.proxy_used` with `{ hour, calls, errors, bytes_in,
 * bytes_out }`. At most `flushMs` of counts are lost if the process dies.
 */
import type { Logger } from 'pino';
import type { AuditService } from '../audit/service.js';
import type { Clock } from '../lib/clock.js';

export interface UseCount {
  accountId: string;
  credentialId: string;
  tokenId: string | null;
  calls: number;
  /** Answers that were not 2xx/3xx, or credvault's own errors. */
  errors: number;
  bytesIn: number;
  bytesOut: number;
}

export interface UsageCounter {
  add(
    accountId: string,
    credentialId: string,
    tokenId: string | null,
    ok: boolean,
    bytesIn: number,
    bytesOut: number,
  ): void;
  flush(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createUsageCounter(d: {
  audit: AuditService;
  clock: Clock;
  log: Logger;
  flushMs: number;
}): UsageCounter {
  let pending = new Map<string, UseCount & { hour: Date }>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  async function write(batch: Map<string, UseCount & { hour: Date }>): Promise<void> {
    if (batch.size === 0) return;
    try {
      await d.audit.addUseCounts([...batch.values()]);
    } catch {
      // Put the counts back: they are added to the next flush.
      for (const [k, v] of batch) {
        const cur = pending.get(k);
        if (cur)
          Object.assign(cur, {
            calls: cur.calls + v.calls,
            errors: cur.errors + v.errors,
            bytesIn: cur.bytesIn + v.bytesIn,
            bytesOut: cur.bytesOut + v.bytesOut,
          });
        else pending.set(k, v);
      }
      d.log.warn('recording proxy use counts failed; will retry');
    }
  }

  const counter: UsageCounter = {
    add(accountId, credentialId, tokenId, ok, bytesIn, bytesOut) {
      const now = d.clock.now();
      const hourMs = Math.floor(now.getTime() / 3600_000) * 3600_000;
      const key = `${credentialId}|${tokenId ?? ''}|${hourMs}`;
      const cur = pending.get(key);
      if (cur) {
        cur.calls++;
        if (!ok) cur.errors++;
        cur.bytesIn += bytesIn;
        cur.bytesOut += bytesOut;
      } else {
        const hour = new Date(hourMs);
        pending.set(key, { accountId, credentialId, tokenId, hour, calls: 1, errors: ok ? 0 : 1, bytesIn, bytesOut });
      }
    },
    flush() {
      flushing = flushing.then(() => {
        const batch = pending;
        pending = new Map();
        return write(batch);
      });
      return flushing;
    },
    start() {
      timer ??= setInterval(() => void counter.flush(), d.flushMs).unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await counter.flush();
    },
  };
  return counter;
}
