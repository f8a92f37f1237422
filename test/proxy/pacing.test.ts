import { describe, expect, it } from 'vitest';
import { createPacer } from '../../src/proxy/pacing.js';

describe('per-credential pacing', () => {
  it('lets `limit` calls run per credential, queues the rest in order, and refuses after the wait', async () => {
    const pacer = createPacer(2, 50);
    const a1 = await pacer.acquire('a');
    const a2 = await pacer.acquire('a');
    expect(a1 && a2).toBeTruthy();
    // Another credential has its own lane.
    const b1 = await pacer.acquire('b');
    expect(b1).toBeTypeOf('function');
    const order: string[] = [];
    const waiting = pacer.acquire('a').then((r) => {
      order.push('third');
      return r;
    });
    a1?.();
    const third = await waiting;
    expect(order).toEqual(['third']);
    expect(third).toBeTypeOf('function');
    // Both slots taken again (a2 and third): the next one waits 50 ms, then is refused.
    expect(await pacer.acquire('a')).toBeUndefined();
    a2?.();
    third?.();
    b1?.();
    // Everything released: a fresh acquire gets a slot at once.
    const again = await pacer.acquire('a');
    expect(again).toBeTypeOf('function');
    again?.();
  });

  it('a release called twice frees one slot only', async () => {
    const pacer = createPacer(1, 20);
    const r = await pacer.acquire('x');
    r?.();
    r?.();
    const one = await pacer.acquire('x');
    expect(one).toBeTypeOf('function');
    expect(await pacer.acquire('x')).toBeUndefined();
    one?.();
  });

  it('tryAcquire takes a free slot at once, shares the lanes with acquire, and never jumps the queue', async () => {
    const pacer = createPacer(2, 1000);
    const t1 = pacer.tryAcquire('a');
    const t2 = pacer.tryAcquire('a');
    expect(t1).toBeTypeOf('function');
    expect(t2).toBeTypeOf('function');
    expect(pacer.tryAcquire('a')).toBeUndefined();
    expect(pacer.tryAcquire('b')).toBeTypeOf('function');
    // A waiter queued behind the full lane gets the next free slot, not a later tryAcquire.
    const waiting = pacer.acquire('a');
    t1?.();
    expect(pacer.tryAcquire('a')).toBeUndefined();
    const third = await waiting;
    expect(third).toBeTypeOf('function');
    t2?.();
    third?.();
    // Empty again: tryAcquire starts a fresh lane.
    const fresh = pacer.tryAcquire('a');
    expect(fresh).toBeTypeOf('function');
    fresh?.();
  });
});
