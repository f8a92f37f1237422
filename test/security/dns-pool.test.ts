/**
 * DNS lookups at import do not tie up libuv's thread pool (issue 13 item 7): with every pool
 * thread busy, the import-time lookup still answers first (asserted on order, not time). A tiny
 * DNS server on 127.0.0.1 answers every A query; nothing leaves the machine.
 */
import { pbkdf2 } from 'node:crypto';
import { type Socket, createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemLookup } from '../../src/net/tenant.js';

/** Answers an A query with 93.184.216.34, anything else with no records. */
function answer(q: Buffer): Buffer {
  let end = 12;
  while (end < q.length && q[end] !== 0) end += (q[end] ?? 0) + 1;
  const question = q.subarray(12, end + 5);
  const type = q.readUInt16BE(end + 1);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(type === 1 ? 1 : 0, 6);
  if (type !== 1) return Buffer.concat([header, question]);
  const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]);
  return Buffer.concat([header, question, rr]);
}

describe('import-time DNS and the libuv thread pool', () => {
  let server: Socket;
  let port = 0;
  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (msg, rinfo) => server.send(answer(msg), rinfo.port, rinfo.address));
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server?.close());

  it('answers while every pool thread is busy', async () => {
    const lookup = systemLookup(5000, [`127.0.0.1:${port}`]);
    const order: string[] = [];
    const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    // Each job holds a pool thread for a while (about a second on this machine).
    const busy = Array.from(
      { length: size },
      (_, i) =>
        new Promise<void>((resolve, reject) =>
          pbkdf2(`p${i}`, 's', 600_000, 32, 'sha256', (err) => {
            if (err) reject(err);
            order.push('pool');
            resolve();
          }),
        ),
    );
    const found = await lookup('tenant.example.com');
    order.push('dns');
    await Promise.all(busy);
    expect(found).toEqual(['93.184.216.34']);
    expect(order[0]).toBe('dns');
  });
});
