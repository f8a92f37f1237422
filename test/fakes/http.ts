/**
 * A minimal OutboundHttp on global fetch, for tests against the fakes. It honours timeoutMs and
 * refuses redirects, but does no SSRF checks (the real client lives in src/net/).
 */
import type { OutboundHttp, OutboundRequest, OutboundResult } from '../../src/net/types.js';

export interface RecordingHttp extends OutboundHttp {
  /** Every request sent, for assertions (e.g. no secret in a URL). */
  readonly sent: OutboundRequest[];
}

export function fetchHttp(opts: { timeoutMs?: number } = {}): RecordingHttp {
  const sent: OutboundRequest[] = [];
  return {
    sent,
    async request(req: OutboundRequest): Promise<OutboundResult> {
      sent.push(req);
      const signal = AbortSignal.timeout(req.timeoutMs ?? opts.timeoutMs ?? 2000);
      try {
        const res = await fetch(req.url, {
          method: req.method,
          headers: req.headers ?? {},
          ...(req.body === undefined ? {} : { body: req.body }),
          redirect: 'manual',
          signal,
        });
        const body = await res.text();
        if (res.status >= 300 && res.status < 400)
          return { ok: false, reason: 'redirect_refused', message: 'redirect refused' };
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => {
          headers[k] = v;
        });
        return { ok: true, response: { status: res.status, headers, body } };
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        if (name === 'TimeoutError' || name === 'AbortError' || signal.aborted)
          return { ok: false, reason: 'timeout', message: 'timed out' };
        return { ok: false, reason: 'network_error', message: 'request failed' };
      }
    },
  };
}
