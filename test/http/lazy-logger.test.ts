import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLoggerFactory } from '../../src/lib/lazy-logger.js';

/** A pino logger writing its lines into an array, with a spy on `child`. */
function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level, redact: ['req.headers.authorization'] }, sink);
  const child = vi.spyOn(logger, 'child');
  return { logger: logger as unknown as FastifyBaseLogger, lines, child };
}

describe('lazy request loggers', () => {
  it('makes no child while nothing is logged at an enabled level, and binds the request id once something is', () => {
    const { logger, lines, child } = capture('info');
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-1' }, undefined);
    log.debug('not at this level');
    expect(child).not.toHaveBeenCalled();
    log.info({ req: { headers: { authorization: 'Bearer secret-marker' } } }, 'hello');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ reqId: 'r-1', msg: 'hello' });
    expect(JSON.stringify(lines)).not.toContain('secret-marker');
  });

  it("follows a route's own log level without making a child for lines below it (the proxy route's warn)", () => {
    const { logger, lines, child } = capture('info');
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-2' }, { level: 'warn' });
    log.info('incoming request, would carry the query string');
    expect(child).not.toHaveBeenCalled();
    expect(log.level).toBe('warn');
    log.warn('kept');
    expect(child).toHaveBeenCalledWith({ reqId: 'r-2' }, { level: 'warn' });
    expect(log.level).toBe('warn');
    log.info('still dropped: the real child has the route level');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it('logs below the parent level when the route asks for it, as a pino child does', () => {
    const { logger, lines } = capture('warn');
    const log = lazyChildLoggerFactory(logger, { reqId: 'r-3' }, { level: 'debug' });
    log.debug('route debug');
    log.trace('below the route level');
    expect(lines.map((l) => [l.msg, l.reqId])).toEqual([['route debug', 'r-3']]);
  });

  it('makes the real child at once for options other than a level alone', () => {
    const { logger, child } = capture('info');
    lazyChildLoggerFactory(logger, { reqId: 'r-4' }, { level: 'warn', msgPrefix: '[x] ' });
    expect(child).toHaveBeenCalledTimes(1);
  });
});
