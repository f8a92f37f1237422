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
});
