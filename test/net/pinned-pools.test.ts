/** The undici pools' answer bodies (src/net/pinned-pools.ts): held until read, in order, with backpressure, never unbounded. */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, type Target } from '../../src/net/outbound.js';
import { type AnswerBody, createPinnedPools } from '../../src/net/pinned-pools.js';

const MiB = 1024 * 1024;

/** Reads a body with a sink that refuses every other chunk, resuming on the next tick. */
function readSlowly(body: AnswerBody): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    body.pipeTo({
      data(chunk) {
        chunks.push(chunk);
        if (n++ % 2 === 0) return true;
        setImmediate(() => body.resume());
        return false;
      },
      end: () => resolve(Buffer.concat(chunks)),
      error: reject,
    });
  });
}

describe('answer bodies of the pinned pools', () => {
  let server: Server;
  let origin = '';
  const finished: Array<{ path: string; complete: boolean }> = [];
  beforeAll(async () => {
    server = createServer((req, res: ServerResponse) => {
      res.on('close', () => finished.push({ path: req.url ?? '', complete: res.writableFinished }));
      if (req.url === '/huge-401') {
        // 64 MiB, written as the connection takes it: far more than the socket buffers hold.
        res.writeHead(401, { 'content-length': String(64 * MiB) });
        const chunk = Buffer.alloc(64 * 1024, 1);
        let sent = 0;
        const pump = (): void => {
          while (sent < 64 * MiB) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      const size = 3 * MiB;
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = i % 251;
      res.writeHead(200, { 'content-length': String(size) });
      res.end(payload);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const target = (path: string): Target => checkUrl(`${origin}${path}`, new Set([origin])) as Target;

  it('delivers every byte in order to a sink attached late that keeps pushing back', async () => {
    const pools = createPinnedPools({ maxSockets: 2, idleMs: 2000 });
    try {
      const r = await pools.request(target('/big'), '127.0.0.1', { method: 'GET', headers: {}, timeoutMs: 5000 });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      // The first chunks arrive (and wait) before anyone reads them.
      await new Promise((res) => setTimeout(res, 50));
      const got = await readSlowly(r.response.body);
      expect(got.length).toBe(3 * MiB);
      let wrong = 0;
      for (let i = 0; i < got.length; i++) if (got[i] !== i % 251) wrong++;
      expect(wrong).toBe(0);
    } finally {
      pools.close();
    }
  });

  it('an unwanted body is drained up to 1 MiB to keep its connection, a larger one is cut instead', async () => {
    const pools = createPinnedPools({ maxSockets: 2, idleMs: 2000 });
    try {
      const r = await pools.request(target('/huge-401'), '127.0.0.1', { method: 'GET', headers: {}, timeoutMs: 5000 });
      expect(r.ok && r.response.statusCode).toBe(401);
      if (!r.ok) return;
      r.response.body.discard();
      for (let i = 0; i < 100 && !finished.some((f) => f.path === '/huge-401'); i++)
        await new Promise((res) => setTimeout(res, 20));
      expect(finished.find((f) => f.path === '/huge-401')).toEqual({ path: '/huge-401', complete: false });
    } finally {
      pools.close();
    }
  });
});
