import { randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { parseMasterKeys } from '../../src/crypto/keyring.js';
import {
  DecryptError,
  decryptSecret,
  encryptSecret,
  envelopeKid,
  rewrapSecret,
  type SecretPlace,
} from '../../src/crypto/envelope.js';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const PLACE: SecretPlace = { accountId: 'acct_1', rowId: 'cred_1', field: 'api_key' };

function decryptError(fn: () => unknown): DecryptError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecryptError);
    if (err instanceof DecryptError) return err;
  }
  throw new Error('expected a DecryptError');
}

describe('rotation and envelopeKid', () => {
  const oldRing = parseMasterKeys(`old:${K1}`);
  const rotated = parseMasterKeys(`new:${K2},old:${K1}`);
  const newOnly = parseMasterKeys(`new:${K2}`);

  it('reads old envelopes after promoting a new primary', () => {
    const env = encryptSecret(oldRing, 'legacy', PLACE);
    expect(envelopeKid(env)).toBe('old');
    expect(decryptSecret(rotated, env, PLACE)).toBe('legacy');
    expect(envelopeKid(encryptSecret(rotated, 'fresh', PLACE))).toBe('new');
    expect(decryptError(() => decryptSecret(newOnly, env, PLACE)).reason).toBe('unknown_kid');
  });

  it('rewraps to the primary, leaves primary envelopes alone, checks the place', () => {
    const env = encryptSecret(oldRing, 'legacy', PLACE);
    const re = rewrapSecret(rotated, env, PLACE);
    expect(envelopeKid(re)).toBe('new');
    expect(decryptSecret(newOnly, re, PLACE)).toBe('legacy');
    expect(rewrapSecret(rotated, re, PLACE)).toBe(re);
    expect(() => rewrapSecret(rotated, env, { ...PLACE, rowId: 'x' })).toThrow(DecryptError);
  });

  it('envelopeKid rejects malformed envelopes', () => {
    expect(decryptError(() => envelopeKid('nonsense')).reason).toBe('malformed');
    expect(() => envelopeKid('v1.k1.a.b')).toThrow(DecryptError);
  });
});
