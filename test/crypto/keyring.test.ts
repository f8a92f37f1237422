import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, it, expect, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { KeyringError, generateKey, parseMasterKeys, type Keyring } from '../../src/crypto/keyring.js';

const b64 = (n: number): string => randomBytes(n).toString('base64');

function keyringError(fn: () => unknown): KeyringError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KeyringError);
    if (err instanceof KeyringError) return err;
  }
  throw new Error('expected a KeyringError');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseMasterKeys', () => {
  it('parses one key', () => {
    const ring = parseMasterKeys(`k1:${b64(32)}`);
    expect(ring.primaryKid).toBe('k1');
    expect(ring.kids).toEqual(['k1']);
    expect(ring.has('k1')).toBe(true);
    expect(ring.has('k2')).toBe(false);
  });

  it('keeps order, first is primary, tolerates surrounding whitespace', () => {
    const ring = parseMasterKeys(` new_2:${b64(32)} , old-1:${b64(32)},A:${b64(32)}`);
    expect(ring.primaryKid).toBe('new_2');
    expect(ring.kids).toEqual(['new_2', 'old-1', 'A']);
    expect(ring.kids.every((k) => ring.has(k))).toBe(true);
  });

  it('hands out a copy of kids', () => {
    const ring = parseMasterKeys(`a:${b64(32)},b:${b64(32)}`);
    ring.kids.push('evil');
    ring.kids.length = 0;
    expect(ring.kids).toEqual(['a', 'b']);
    expect(ring.has('evil')).toBe(false);
  });

  it('rejects duplicate kids, naming the kid and not the key', () => {
    const k1 = b64(32);
    const k2 = b64(32);
    const err = keyringError(() => parseMasterKeys(`dup:${k1},other:${b64(32)},dup:${k2}`));
    expect(err.message).toContain('dup');
    expect(err.kid).toBe('dup');
    expect(err.message).not.toContain(k1);
    expect(err.message).not.toContain(k2);
  });

  it.each([
    ['31-byte', 31],
    ['33-byte', 33],
    ['16-byte', 16],
    ['empty', 0],
  ])('rejects a %s key, naming the kid and not the key', (_label, size) => {
    const key = b64(size);
    const err = keyringError(() => parseMasterKeys(`good:${b64(32)},short_kid:${key}`));
    expect(err.message).toContain('short_kid');
    expect(err.kid).toBe('short_kid');
    if (key !== '') expect(err.message).not.toContain(key);
  });

  it.each([
    ['url-safe alphabet', (k: string) => k.replace(/[+/]/g, '-').replace(/=/g, '') + '-_'],
    ['junk characters', (k: string) => `${k.slice(0, 20)}!!${k.slice(22)}`],
    ['missing padding', (k: string) => k.replace(/=+$/, '')],
    ['embedded space', (k: string) => `${k.slice(0, 10)} ${k.slice(10)}`],
  ])('rejects bad base64 (%s) without echoing it', (_label, mangle) => {
    const bad = mangle(b64(32));
    const err = keyringError(() => parseMasterKeys(`kb:${bad}`));
    expect(err.message).toContain('kb');
    expect(err.message).not.toContain(bad);
  });

  it.each([
    ['empty spec', () => ''],
    ['trailing comma', (k: string) => `a:${k},`],
    ['no colon (bare key)', (k: string) => k],
    ['empty kid', (k: string) => `:${k}`],
    ['kid too long', (k: string) => `${'x'.repeat(33)}:${k}`],
    ['kid with dot', (k: string) => `a.b:${k}`],
    ['key before kid', (k: string) => `${k}:kid1`],
  ])('rejects bad format (%s) without echoing key material', (_label, build) => {
    const key = b64(32);
    const err = keyringError(() => parseMasterKeys(build(key)));
    expect(err.message).not.toContain(key);
    expect(err.message).not.toContain(key.slice(0, 12));
  });

  it('never echoes key material in any error (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 80 }), (junk) => {
        const key = b64(32);
        for (const spec of [`${junk}:${key}`, `${junk}${key}`, `k:${key},${junk}`]) {
          try {
            parseMasterKeys(spec);
          } catch (err) {
            expect(err).toBeInstanceOf(KeyringError);
            if (err instanceof Error) expect(err.message).not.toContain(key.slice(0, 12));
          }
        }
      }),
    );
  });

  it('does not expose key material via inspect or JSON', () => {
    const key = b64(32);
    const ring = parseMasterKeys(`k1:${key}`);
    const hex = Buffer.from(key, 'base64').toString('hex');
    for (const text of [inspect(ring, { depth: 10, showHidden: true }), JSON.stringify(ring)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(hex);
    }
  });

  it('zeroes the decoded key buffers (C7)', () => {
    const spy = vi.spyOn(Buffer, 'from');
    parseMasterKeys(`a:${b64(32)},b:${b64(32)}`);
    const decoded = spy.mock.calls
      .map((call, i) => ({ call, result: spy.mock.results[i] }))
      .filter(({ call }) => (call as unknown[])[1] === 'base64');
    expect(decoded).toHaveLength(2);
    for (const { result } of decoded) {
      const value: unknown = result?.value;
      expect(value).toBeInstanceOf(Buffer);
      if (value instanceof Buffer) expect(value.every((b) => b === 0)).toBe(true);
    }
  });

  it('fingerprints are stable, per-key, and do not reveal the key (C6)', () => {
    const k1 = b64(32);
    const k2 = b64(32);
    const a: Keyring = parseMasterKeys(`one:${k1},two:${k2}`);
    const b: Keyring = parseMasterKeys(`other_name:${k1}`);
    expect(a.fingerprint('one')).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint('one')).toBe(b.fingerprint('other_name'));
    expect(a.fingerprint('one')).not.toBe(a.fingerprint('two'));
    expect(a.fingerprint('one')).not.toContain(Buffer.from(k1, 'base64').toString('hex'));
    expect(() => a.fingerprint('nope')).toThrow(KeyringError);
  });
});

describe('generateKey', () => {
  it('defaults to k + yyyymmdd + 4 hex, with a spec parseMasterKeys accepts', () => {
    const { kid, spec } = generateKey();
    expect(kid).toMatch(/^k\d{8}[0-9a-f]{4}$/);
    expect(spec.startsWith(`${kid}:`)).toBe(true);
    expect(Buffer.from(spec.slice(kid.length + 1), 'base64')).toHaveLength(32);
    const ring = parseMasterKeys(spec);
    expect(ring.primaryKid).toBe(kid);
  });

  it('uses a given kid and fresh key material each time', () => {
    const a = generateKey('rot_2');
    const b = generateKey('rot_2');
    expect(a.kid).toBe('rot_2');
    expect(a.spec).not.toBe(b.spec);
    expect(parseMasterKeys(`${a.spec.replace('rot_2', 'x')},${b.spec}`).kids).toEqual(['x', 'rot_2']);
  });

  it('rejects an invalid kid', () => {
    expect(() => generateKey('bad kid')).toThrow(KeyringError);
    expect(() => generateKey('')).toThrow(KeyringError);
    expect(() => generateKey('x'.repeat(33))).toThrow(KeyringError);
  });
});
