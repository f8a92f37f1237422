/**
 * Issue 13 R6: SIGTERM. /readyz and new requests answer 503 in the error shape at once, the
 * listener stops accepting, running requests finish, provider calls still hanging when the grace
 * period ends are abandoned (their callers get a 503 in the error shape), and the process exits 0.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../cli/live.js';
import { type ChildNode, startChildNode } from '../support/child.js';
import { createTestDatabase } from '../support/stores.js';
import { call, errorShaped, until } from './load.js';

/** A fake Stripe whose GET /v1/account answers after 1.5 s for "slow" keys and never for "hang" keys. */
async function slowStripe() {
  const seen: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    seen.push(key);
    if (key.includes('hang')) {
      held.push(res);
      return;
    }
    setTimeout(
      () =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 'acct_slow', object: 'account' })),
      1500,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    async close() {
      for (const r of held) r.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Parses the HTTP/1.1 answers read from one connection (each with a Content-Length). */
function parseAnswers(raw: string): RawAnswer[] {
  const out: RawAnswer[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/1.1')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    const length = Number(headers['content-length'] ?? '0');
    const text = Buffer.from(rest.slice(end + 4))
      .subarray(0, length)
      .toString();
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(text) as unknown });
    rest = Buffer.from(rest.slice(end + 4))
      .subarray(length)
      .toString();
  }
  return out;
}

describe('SIGTERM with requests in flight (child process)', () => {
  let database: { url: string; drop(): Promise<void> } | undefined;
  let fake: Awaited<ReturnType<typeof slowStripe>> | undefined;
  let node: ChildNode | undefined;
  beforeAll(async () => {
    assertBuilt();
    database = await createTestDatabase();
    fake = await slowStripe();
  });
  afterAll(async () => {
    await node?.stop();
    await fake?.close();
    await database?.drop();
  });

  it('503s in the error shape at once, finishes running requests, abandons hanging provider calls, exits 0', async () => {
    if (!database || !fake) throw new Error('setup failed');
    const provider = fake;
    node = await startChildNode({
      DATABASE_URL: database.url,
      CREDVAULT_PROVIDER_URL_STRIPE: provider.url,
      CREDVAULT_PROVIDER_TIMEOUT_MS: '60000',
      CREDVAULT_SHUTDOWN_GRACE_MS: '4000',
      LOG_LEVEL: 'info',
    });
    const child = node;
    const url = new URL(child.url);
    const imported = async (secret: string, account: string) => {
      const a = await call(child.url, 'POST', '/v1/credentials', {
        properties: { kind: 'stripe_key', secret, account_id: account },
      });
      expect(a.status).toBe(200);
      return (a.body as { id: string }).id;
    };
    const slowId = await imported('sk_test_slow_0001', 'acct_slow');
    const hangId = await imported('sk_test_hang_0001', 'acct_hang');

    // A check whose provider answers in 1.5 s.
    const checking = call(child.url, 'POST', `/v1/credentials/${slowId}/check`);
    // A connection already open with a /readyz on its way (headers not finished yet), as a load
    // balancer's probe on a kept-alive connection.
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    socket.on('data', (b: Buffer) => (raw += b.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.write('GET /readyz HTTP/1.1\r\nhost: x\r\n', () => resolve()));
    // And a check whose provider never answers.
    const hanging = call(child.url, 'POST', `/v1/credentials/${hangId}/check`);
    await until(
      'both provider calls to be in flight',
      () => provider.seen.some((k) => k.includes('slow')) && provider.seen.some((k) => k.includes('hang')),
    );

    child.child.kill('SIGTERM');
    // The listener stops accepting.
    await until('new connections to be refused', async () => (await call(child.url, 'GET', '/healthz')).status === 0);

    // /readyz on the open connection: a 503 in the error shape.
    socket.write('\r\n');
    await closed;
    const [ready] = parseAnswers(raw);
    expect(ready?.status).toBe(503);
    expect(ready?.headers['retry-after']).toBe('1');
    expect(errorShaped(ready?.body)).toBe(true);

    // The running request finished.
    expect((await checking).status).toBe(200);

    // The hanging provider call was abandoned after the grace period: a shaped 503, not a reset.
    const abandoned = await hanging;
    expect(abandoned.status).toBe(503);
    expect(abandoned.retryAfter).toBe('1');
    expect(errorShaped(abandoned.body)).toBe(true);

    expect(await child.exited).toBe('0');
    expect(child.output()).toContain('shutdown grace period over');
  });
});
