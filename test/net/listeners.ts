/** Real HTTP listeners on 127.0.0.1 (port 0) that count every TCP connection they receive. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect } from 'vitest';
import type { OutboundResult } from '../../src/net/types.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Listener {
  port: number;
  origin: string;
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const ok: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello');
};

export async function listen(handler: Handler = ok): Promise<Listener> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: Listener = {
    port,
    origin: `http://127.0.0.1:${port}`,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** A port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const l = await listen();
  await l.close();
  return l.port;
}

/** `listen`, with every listener of a test closed after it. Call at the top of a test file. */
export function trackedListeners(): (handler?: Handler) => Promise<Listener> {
  const open: Listener[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
  });
  return async (handler?: Handler) => {
    const l = await listen(handler);
    open.push(l);
    return l;
  };
}

/** A resolver answering fixed addresses and counting its calls. */
export function fixedLookup(...addresses: string[]) {
  const fn = async (_host: string): Promise<string[]> => {
    fn.calls += 1;
    return addresses;
  };
  fn.calls = 0;
  return fn;
}

export function expectFailure(r: OutboundResult, reason: string): void {
  expect(r.ok ? 'ok' : r.reason).toBe(reason);
}
