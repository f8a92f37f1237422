/** credvault webhooks list|create|delete|deliveries|replay and events tail, with the real binary against a live server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredvaultClient, unwrap } from '../../src/client/index.js';
import { type Receiver, startReceiver } from '../fakes/receiver.js';
import { BOOTSTRAP_TOKEN } from '../support/harness.js';
import { type LiveServer, assertBuilt, runCliProcess, startLiveServer } from './live.js';

describe('webhook and event commands on a live server', () => {
  let server: LiveServer;
  let rx: Receiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    assertBuilt();
    rx = await startReceiver();
    server = await startLiveServer('pglite', { CREDVAULT_WEBHOOK_ALLOWED_ORIGINS: rx.origin });
    env = { CREDVAULT_URL: server.url, CREDVAULT_TOKEN: BOOTSTRAP_TOKEN };
  });
  afterAll(async () => {
    await server?.close();
    await rx?.close();
  });

  it('create prints the secret once, deliveries and replay show the sends, events tail prints JSON lines, delete removes it', async () => {
    const created = await runCliProcess(
      ['webhooks', 'create', `${rx.origin}/cli`, '--event-types', 'credential.*'],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const [id, secretLine] = created.stdout.trim().split('\n');
    const secret = /whsec_\S+/.exec(secretLine ?? '')?.[0] ?? '';
    expect(secret).toMatch(/^whsec_/);
    rx.trust(secret);

    const list = await runCliProcess(['webhooks', 'list', '--json'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    expect(list.stdout).not.toContain(secret);

    const client = createCredvaultClient({ url: server.url, token: BOOTSTRAP_TOKEN });
    const cred = await unwrap(
      client.POST('/v1/credentials', {
        body: { properties: { kind: 'stripe_key', secret: 'sk_live_cli_hook_0123456789', account_id: 'acct_cli' } },
      }),
    );
    await server.rt.deliveries.drain();
    expect(rx.received.filter((r) => r.verifiedWith.includes(secret))).toHaveLength(1);

    const deliveries = await runCliProcess(['webhooks', 'deliveries', id ?? '', '--json'], env);
    expect(deliveries.code).toBe(0);
    expect(
      (JSON.parse(deliveries.stdout) as { data: Array<{ status_code: number }> }).data.map((a) => a.status_code),
    ).toEqual([204]);

    const replay = await runCliProcess(['webhooks', 'replay', id ?? '', '--since', '2000-01-01T00:00:00Z'], env);
    expect(replay.stdout.trim()).toBe('queued 1 event(s)');
    await server.rt.deliveries.drain();
    expect(rx.received.filter((r) => r.verifiedWith.includes(secret))).toHaveLength(2);

    const tail = await runCliProcess(['events', 'tail', '--since', '2000-01-01T00:00:00Z', '--no-follow'], env);
    expect(tail.code, tail.stderr).toBe(0);
    const lines = tail.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { id: string } });
    expect(lines.filter((e) => e.type === 'credential.created').map((e) => e.data.id)).toEqual([cred.id]);
    expect(tail.stdout).not.toContain('sk_live_cli_hook');

    expect((await runCliProcess(['webhooks', 'replay', id ?? '', '--since', 'yesterday'], env)).code).toBe(2);
    const del = await runCliProcess(['webhooks', 'delete', id ?? ''], env);
    expect(del.code).toBe(0);
    expect((await runCliProcess(['webhooks', 'delete', id ?? ''], env)).code).toBe(1);
  });
});
