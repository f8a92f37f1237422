/**
 * Issue 13 R1: a PostgreSQL restart under load must not kill the process. During the outage
 * requests answer 503 with Retry-After in the error shape and /readyz says 503; the service
 * resumes as soon as PostgreSQL is back, and the scheduler logs the cause once and backs off.
 * Runs a PostgreSQL of its own (private-pg.ts): the shared server is never restarted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildNode, startChildNode } from '../support/child.js';
import { assertBuilt } from '../cli/live.js';
import { type Answer, call, errorShaped, importOne, startLoad, until } from './load.js';
import { type PrivatePg, createPrivatePg } from './private-pg.js';

describe('PostgreSQL restart under load (own PostgreSQL, child process)', () => {
  let pg: PrivatePg | undefined;
  let node: ChildNode | undefined;
  beforeAll(async () => {
    assertBuilt();
    pg = await createPrivatePg();
  });
  afterAll(async () => {
    await node?.stop();
    await pg?.destroy();
  });

  it('answers 503 + Retry-After during the outage, survives, and resumes when PostgreSQL is back', async () => {
    if (!pg) throw new Error('no PostgreSQL');
    const server = pg;
    node = await startChildNode({
      DATABASE_URL: server.url,
      CREDVAULT_SCHEDULER: 'true',
      LOG_LEVEL: 'info',
      CREDVAULT_DB_CONNECT_TIMEOUT_MS: '1000',
    });
    const child = node;
    const url = child.url;
    expect((await importOne(url)).status).toBe(200);

    const load = startLoad(url, 6);
    await until('answers before the outage', () => load.answers.filter((a) => a.status === 200).length >= 30);
    const before = load.answers.length;
    await server.stop('fast');
    // The outage: keep the load on until every worker has seen it and the scheduler has retried.
    await until(
      '503s during the outage',
      () => load.answers.slice(before).filter((a) => a.status === 503).length >= 40,
    );
    const ready = await call(url, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(errorShaped(ready.body)).toBe(true);
    await new Promise((r) => setTimeout(r, 2500));
    expect(child.child.exitCode).toBeNull();

    await server.start();
    // Back at once: the first requests after PostgreSQL answers again succeed.
    expect((await call(url, 'GET', '/readyz')).status).toBe(200);
    expect((await importOne(url)).status).toBe(200);
    const after = load.answers.length;
    await until(
      'answers after the outage',
      () => load.answers.slice(after).filter((a) => a.status === 200).length >= 30,
    );
    await load.stop();

    const outage = load.answers.slice(before);
    const unexpected = outage.filter((a: Answer) => a.status !== 200 && a.status !== 503);
    expect(unexpected).toEqual([]);
    for (const a of outage.filter((x) => x.status === 503)) {
      expect(a.retryAfter).toBe('1');
      expect(errorShaped(a.body)).toBe(true);
    }
    // Still the same process, and the scheduler said why once, then that it works again.
    expect(child.child.exitCode).toBeNull();
    await until('the scheduler to resume', () => child.output().includes('claiming due credentials works again'));
    const failures = child
      .output()
      .split('\n')
      .filter((l) => l.includes('claiming due credentials failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/database unavailable \(.+\)/);
  });
});
