import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery as a webhook receiver saw it. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** Which of the known secrets verified it with the standardwebhooks verifier. */
  verifiedWith: string[];
}

/**
 * A webhook receiver on 127.0.0.1: records every delivery, verifies each with the
 * standardwebhooks package against every secret it is told, and answers `status()`.
 */
export async function startReceiver(opts: { port?: number; delayMs?: number } = {}) {
  const received: Received[] = [];
  /** Requests received and not yet answered. */
  let open = 0;
  const secrets: string[] = [];
  let status = (_r: Received): number => 204;
  const server = http.createServer((req, res) => {
    open += 1;
    res.once('close', () => (open -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const h = (n: string) => String(req.headers[n] ?? '');
      const r: Received = {
        id: h('webhook-id'),
        timestamp: h('webhook-timestamp'),
        signature: h('webhook-signature'),
        body: Buffer.concat(chunks).toString('utf8'),
        verifiedWith: [],
      };
      for (const s of secrets) {
        try {
          new Webhook(s).verify(r.body, {
            'webhook-id': r.id,
            'webhook-timestamp': r.timestamp,
            'webhook-signature': r.signature,
          });
          r.verifiedWith.push(s);
        } catch {
          // not signed with this one
        }
      }
      const code = status(r);
      const answer = () => {
        received.push(r);
        res.writeHead(code, { 'content-type': 'text/plain' });
        res.end(code >= 200 && code < 300 ? 'ok' : 'nope');
      };
      if (opts.delayMs) setTimeout(answer, opts.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    received,
    open: () => open,
    trust(secret: string) {
      secrets.push(secret);
    },
    answer(fn: (r: Received) => number) {
      status = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
