/** Recently opened envelopes: a hit answers only what decrypting the same envelope at the same place would. */
import { describe, expect, it } from 'vitest';
import { createRecentOpened } from '../../src/crypto/recent-opened.js';
import type { SecretPlace } from '../../src/crypto/places.js';

const place = (rowId: string, field = 'api_key'): SecretPlace => ({
  table: 'credentials',
  accountId: 'acct',
  rowId,
  field,
});

describe('recently opened envelopes', () => {
  it('opens an envelope once within the window, and again after it', () => {
    let now = 1_000;
    const recent = createRecentOpened(5_000, 100, () => now);
    let opened = 0;
    const open = () => {
      opened++;
      return 'plain';
    };
    expect(recent.open('v1.k.iv.ct.tag', place('r1'), open)).toBe('plain');
    expect(recent.open('v1.k.iv.ct.tag', place('r1'), open)).toBe('plain');
    expect(opened).toBe(1);
    now += 5_000;
    expect(recent.open('v1.k.iv.ct.tag', place('r1'), open)).toBe('plain');
    expect(opened).toBe(2);
  });

  it('never answers for another place, another field or another envelope: each is opened (and verified) itself', () => {
    const recent = createRecentOpened(5_000, 100);
    const calls: string[] = [];
    const opener = (name: string) => () => {
      calls.push(name);
      return name;
    };
    recent.open('env-a', place('r1'), opener('a at r1'));
    expect(() =>
      recent.open('env-a', place('r2'), () => {
        throw new Error('wrong place');
      }),
    ).toThrow('wrong place');
    expect(recent.open('env-a', place('r1', 'refresh_token'), opener('a at r1 refresh'))).toBe('a at r1 refresh');
    expect(recent.open('env-b', place('r1'), opener('b at r1'))).toBe('b at r1');
    expect(recent.open('env-a', { ...place('r1'), accountId: 'other' }, opener('a other account'))).toBe(
      'a other account',
    );
    expect(recent.open('env-a', { ...place('r1'), table: 'oauth_apps' }, opener('a other table'))).toBe(
      'a other table',
    );
    expect(calls).toEqual(['a at r1', 'a at r1 refresh', 'b at r1', 'a other account', 'a other table']);
  });

  it('keeps nothing when the opening fails, and nothing at all with a window of 0', () => {
    const failing = createRecentOpened(5_000, 100);
    let tries = 0;
    const bad = () => {
      tries++;
      throw new Error('auth failed');
    };
    expect(() => failing.open('env', place('r1'), bad)).toThrow();
    expect(() => failing.open('env', place('r1'), bad)).toThrow();
    expect(tries).toBe(2);
    const off = createRecentOpened(0, 100);
    let opened = 0;
    off.open('env', place('r1'), () => String(++opened));
    off.open('env', place('r1'), () => String(++opened));
    expect(opened).toBe(2);
  });

  it('holds at most `max` plaintexts', () => {
    const recent = createRecentOpened(60_000, 3);
    let opened = 0;
    const open = () => String(++opened);
    for (const r of ['r1', 'r2', 'r3', 'r4']) recent.open('env', place(r), open);
    expect(opened).toBe(4);
    // The fourth started the map again: r1 was dropped, r4 is kept.
    recent.open('env', place('r4'), open);
    expect(opened).toBe(4);
    recent.open('env', place('r1'), open);
    expect(opened).toBe(5);
  });
});
