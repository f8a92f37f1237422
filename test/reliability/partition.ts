/** A TCP proxy that can "partition": connections stay open but nothing passes, new ones hang. */
import { type Server, type Socket, connect, createServer } from 'node:net';

export interface PartitionProxy {
  port: number;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startPartitionProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<PartitionProxy> {
  let cut = false;
  const pairs = new Set<[Socket, Socket | undefined]>();
  const waiting = new Set<Socket>();
  const join = (client: Socket) => {
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket | undefined] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };
  const server: Server = createServer((client) => {
    if (cut) {
      // Accepted, never answered (as a partitioned or hung server looks from here).
      waiting.add(client);
      client.on('error', () => undefined).on('close', () => waiting.delete(client));
      return;
    }
    join(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    partition() {
      cut = true;
      for (const [a, b] of pairs) {
        if (!b) continue;
        a.unpipe(b);
        b.unpipe(a);
        a.pause();
        b.pause();
      }
    },
    heal() {
      cut = false;
      for (const [a, b] of pairs) {
        if (!b) continue;
        a.pipe(b);
        b.pipe(a);
      }
      for (const c of waiting) join(c);
      waiting.clear();
    },
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b?.destroy();
      }
      for (const c of waiting) c.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A server that accepts TCP connections and never says anything. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined).on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
