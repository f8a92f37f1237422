import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it, expect, vi, afterEach } from 'vitest';
import fc from 'fast-check';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import { DecryptError, decryptSecret, encryptSecret, type SecretPlace } from '../../src/crypto/envelope.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const ring = parseMasterKeys(`k1:${K1},k2:${K2}`);
const PLACE: SecretPlace = { accountId: 'acct_1', rowId: 'cred_1', field: 'api_key' };

const placeArb: fc.Arbitrary<SecretPlace> = fc.record({
  accountId: fc.string(),
  rowId: fc.string(),
  field: fc.string(),
  table: fc.option(fc.string(), { nil: undefined }),
});
const canon = (p: SecretPlace): string => JSON.stringify([p.table ?? null, p.accountId, p.rowId, p.field]);

function decryptError(fn: () => unknown): DecryptError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecryptError);
    if (err instanceof DecryptError) return err;
  }
  throw new Error('expected a DecryptError');
}

function parts(env: string): [string, string, Buffer, Buffer, Buffer] {
  const [v = '', kid = '', iv = '', ct = '', tag = ''] = env.split('.');
  const d = (s: string): Buffer => Buffer.from(s, 'base64url');
  return [v, kid, d(iv), d(ct), d(tag)];
}
function build(v: string, kid: string, iv: Buffer, ct: Buffer, tag: Buffer): string {
  return [v, kid, iv, ct, tag].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('encryptSecret / decryptSecret', () => {
  it('writes v1.<kid>.<iv>.<ct>.<tag> under the primary key', () => {
    const env = encryptSecret(ring, 'sk_live_123', PLACE);
    expect(env).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(env).not.toContain('sk_live');
    expect(decryptSecret(ring, env, PLACE)).toBe('sk_live_123');
  });

  it('round-trips arbitrary strings at arbitrary places', () => {
    for (const unit of ['binary', 'grapheme', 'binary-ascii'] as const) {
      fc.assert(
        fc.property(fc.string({ unit, maxLength: 300 }), placeArb, (text, place) => {
          expect(decryptSecret(ring, encryptSecret(ring, text, place), place)).toBe(text);
        }),
      );
    }
  });

  it('round-trips empty and large secrets', () => {
    for (const text of ['', 'x'.repeat(1 << 20), '🔑'.repeat(1000)]) {
      expect(decryptSecret(ring, encryptSecret(ring, text, PLACE), PLACE)).toBe(text);
    }
  });

  it('refuses strings with lone surrogates rather than corrupting them', () => {
    expect(() => encryptSecret(ring, 'a\uD800b', PLACE)).toThrow(TypeError);
    expect(() => encryptSecret(ring, '\uDC00', PLACE)).toThrow(TypeError);
  });

  it('rejects any flipped bit in iv, ct or tag', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), fc.nat(), (text, n) => {
        const [v, kid, iv, ct, tag] = parts(encryptSecret(ring, `PLAINTEXT:${text}`, PLACE));
        const all = Buffer.concat([iv, ct, tag]);
        const bit = n % (all.length * 8);
        all[bit >> 3] = (all[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const tampered = build(
          v,
          kid,
          all.subarray(0, 12),
          all.subarray(12, 12 + ct.length),
          all.subarray(12 + ct.length),
        );
        const err = decryptError(() => decryptSecret(ring, tampered, PLACE));
        expect(err.reason).toBe('auth_failed');
        expect(err.kid).toBe('k1');
        expect(err.message).not.toContain('PLAINTEXT:');
      }),
    );
  });

  it('rejects a ciphertext moved to another place (property)', () => {
    fc.assert(
      fc.property(placeArb, placeArb, fc.string({ maxLength: 40 }), (a, b, text) => {
        fc.pre(canon(a) !== canon(b));
        const err = decryptError(() => decryptSecret(ring, encryptSecret(ring, text, a), b));
        expect(err.reason).toBe('auth_failed');
      }),
    );
  });

  it.each<[string, SecretPlace]>([
    ['other account', { ...PLACE, accountId: 'acct_2' }],
    ['other row', { ...PLACE, rowId: 'cred_2' }],
    ['other field', { ...PLACE, field: 'client_secret' }],
    ['table added', { ...PLACE, table: 'credentials' }],
    ['fields shifted', { accountId: 'acct_1', rowId: 'cred', field: '1"api_key' }],
  ])('rejects %s', (_label, other) => {
    expect(() => decryptSecret(ring, encryptSecret(ring, 's3cret', PLACE), other)).toThrow(DecryptError);
  });

  it('cannot swap oauth-app and credential secrets', () => {
    const app: SecretPlace = { ...PLACE, table: 'oauth_apps', field: 'client_secret' };
    const cred: SecretPlace = { ...PLACE, table: 'credentials', field: 'client_secret' };
    expect(() => decryptSecret(ring, encryptSecret(ring, 'x', app), cred)).toThrow(DecryptError);
    expect(() => decryptSecret(ring, encryptSecret(ring, 'x', app), { ...app, table: undefined })).toThrow(
      DecryptError,
    );
  });

  it('separator-looking content cannot make two places collide', () => {
    const a: SecretPlace = { accountId: 'a:b', rowId: 'c', field: 'f' };
    const b: SecretPlace = { accountId: 'a', rowId: 'b:c', field: 'f' };
    expect(() => decryptSecret(ring, encryptSecret(ring, 'x', a), b)).toThrow(DecryptError);
  });

  it('never repeats an IV over 100,000 encryptions', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const env = encryptSecret(ring, 'same', PLACE);
      seen.add(env.slice(3 + 3, 3 + 3 + 16));
    }
    expect(seen.size).toBe(100_000);
  });

  it('rejects a wrong or unknown kid', () => {
    const env = encryptSecret(ring, 'secret', PLACE);
    const wrong = decryptError(() => decryptSecret(ring, env.replace(/^v1\.k1\./, 'v1.k2.'), PLACE));
    expect(wrong.reason).toBe('auth_failed');
    expect(wrong.kid).toBe('k2');
    const unknown = decryptError(() => decryptSecret(ring, env.replace(/^v1\.k1\./, 'v1.k9.'), PLACE));
    expect(unknown.reason).toBe('unknown_kid');
    expect(unknown.kid).toBe('k9');
  });

  it('rejects truncated or extended tags', () => {
    const [v, kid, iv, ct, tag] = parts(encryptSecret(ring, 'secret', PLACE));
    for (const len of [0, 1, 4, 8, 12, 15]) {
      const err = decryptError(() => decryptSecret(ring, build(v, kid, iv, ct, tag.subarray(0, len)), PLACE));
      expect(err.kid).toBe('k1');
    }
    expect(() => decryptSecret(ring, build(v, kid, iv, ct, Buffer.concat([tag, Buffer.alloc(1)])), PLACE)).toThrow(
      DecryptError,
    );
  });

  it('rejects a genuine short-tag GCM ciphertext (authTagLength: 16)', () => {
    const iv = randomBytes(12);
    const aad = Buffer.from(JSON.stringify(['v1', null, PLACE.accountId, PLACE.rowId, PLACE.field]));
    const c = createCipheriv('aes-256-gcm', Buffer.from(K1, 'base64'), iv, { authTagLength: 4 });
    c.setAAD(aad);
    const ct = Buffer.concat([c.update('forged'), c.final()]);
    const tag = c.getAuthTag();
    expect(tag).toHaveLength(4);
    expect(() => decryptSecret(ring, build('v1', 'k1', iv, ct, tag), PLACE)).toThrow(DecryptError);
    // Sanity: the same construction with a full tag is accepted, so the AAD above is right.
    const c16 = createCipheriv('aes-256-gcm', Buffer.from(K1, 'base64'), iv, { authTagLength: 16 });
    c16.setAAD(aad);
    const ct16 = Buffer.concat([c16.update('forged'), c16.final()]);
    expect(decryptSecret(ring, build('v1', 'k1', iv, ct16, c16.getAuthTag()), PLACE)).toBe('forged');
  });

  it.each([
    ['empty', () => ''],
    ['v2', (e: string) => e.replace(/^v1/, 'v2')],
    ['4 parts', (e: string) => e.split('.').slice(0, 4).join('.')],
    ['6 parts', (e: string) => `${e}.AAAA`],
    ['bad kid', (e: string) => e.replace(/^v1\.k1/, 'v1.k 1')],
    ['padded b64', (e: string) => `${e}=`],
    ['std b64 chars', (e: string) => e.replace(/\.([^.]+)$/, '.+/+/+/+/+/+/+/+/+/+/+/')],
    ['non-canonical b64url', (e: string) => e.replace(/[A-Za-z0-9_-]$/, (c) => (c === 'A' ? 'B' : 'A'))],
    ['short iv', (e: string) => e.replace(/^(v1\.k1\.)[^.]{4}/, '$1')],
  ])('rejects a malformed envelope (%s)', (_label, mangle) => {
    const env = encryptSecret(ring, 'secret', PLACE);
    expect(() => decryptSecret(ring, mangle(env), PLACE)).toThrow(DecryptError);
  });

  it('counts encryptions per kid (C5)', () => {
    const r = parseMasterKeys(`a:${K1},b:${K2}`);
    expect(r.encryptionCount('a')).toBe(0);
    for (let i = 0; i < 5; i++) encryptSecret(r, 'x', PLACE);
    expect(r.encryptionCount('a')).toBe(5);
    expect(r.encryptionCount('b')).toBe(0);
    expect(r.encryptionCount('zzz')).toBe(0);
  });

  it('zeroes plaintext buffers after use (C7)', () => {
    const from = vi.spyOn(Buffer, 'from');
    const concat = vi.spyOn(Buffer, 'concat');
    const env = encryptSecret(ring, 'plaintext-secret', PLACE);
    decryptSecret(ring, env, PLACE);
    const idx = from.mock.calls.findIndex((c) => c[0] === 'plaintext-secret');
    const input: unknown = from.mock.results[idx]?.value;
    const output: unknown = concat.mock.results.at(-1)?.value;
    for (const buf of [input, output]) {
      expect(buf).toBeInstanceOf(Buffer);
      if (buf instanceof Buffer) expect(buf.length > 0 && buf.every((b) => b === 0)).toBe(true);
    }
  });
});
