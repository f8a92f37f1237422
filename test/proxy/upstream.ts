/** A plain upstream for the streaming tests: big answers, uploads, header echo; counts connections. */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  url: string;
  connections: number;
  /** Bytes the last /big answer wrote before it ended or was cut. */
  bigWritten: number;
  seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const state: Upstream = { url: '', connections: 0, bigWritten: 0, seen: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    state.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const path = (req.url ?? '').split('?')[0];
    if (path === '/hang') return; // never answers
    if (path === '/ratelimited') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end('{"errors":[{"message":"too many requests"}]}');
      return;
    }
    if (path === '/big') {
      // 100 MiB, written as the reader takes it (backpressure), never held whole.
      const chunk = Buffer.alloc(64 * 1024, 97);
      const total = 100 * 1024 * 1024;
      state.bigWritten = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const pump = (): void => {
        while (state.bigWritten < total) {
          state.bigWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'upstream=1', connection: 'keep-alive' });
      // The credential's own header is not echoed (the test reads it from `seen`).
      const { authorization: _auth, ...headers } = req.headers;
      res.end(JSON.stringify({ bytes, sha256: hash.digest('hex'), headers }));
    });
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
