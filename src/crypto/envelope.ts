/**
 * Secret envelopes (docs/security.md C1, C2, C3, C7).
 *
 * Format: `v1.<kid>.<iv b64url>.<ct b64url>.<tag b64url>` — AES-256-GCM, fresh random 12-byte IV
 * per encryption (from the CSPRNG, drawn in blocks: see nextIv), 16-byte tag. The AAD binds the ciphertext to its place:
 * JSON.stringify(["v1", table|null, accountId, rowId, field]), so a ciphertext copied to another
 * account, row, field or table fails to decrypt, and fields cannot collide.
 *
 * Plaintext Buffers are zeroed after use. The plaintext/return strings are JS strings and
 * cannot be wiped: documented residual risk (C7).
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { KID_PATTERN, keyObjectFor, noteEncryption, type Keyring } from './keyring.js';
import type { SecretPlace } from './places.js';

export const ENVELOPE_VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const B64URL = /^[A-Za-z0-9_-]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type { SecretPlace } from './places.js';

export type DecryptFailure = 'malformed' | 'unknown_kid' | 'auth_failed';

/** Any failure to open an envelope. The message is generic; never plaintext or key material. */
export class DecryptError extends Error {
  override readonly name = 'DecryptError';
  constructor(
    readonly reason: DecryptFailure,
    readonly kid: string | undefined,
  ) {
    super(
      reason === 'malformed'
        ? 'secret envelope is malformed'
        : reason === 'unknown_kid'
          ? `secret envelope uses unknown key id "${kid ?? ''}"`
          : 'secret could not be decrypted (wrong key, wrong place or tampered)',
    );
  }
}

interface ParsedEnvelope {
  kid: string;
  iv: Buffer;
  ct: Buffer;
  tag: Buffer;
}

/** Canonical AAD: a JSON array cannot be made ambiguous by separators inside fields. */
function aadFor(place: SecretPlace): Buffer {
  const { accountId, rowId, field, table } = place;
  return Buffer.from(JSON.stringify([ENVELOPE_VERSION, table ?? null, accountId, rowId, field]), 'utf8');
}

/** Strict base64url: canonical encoding only, so one byte string has exactly one envelope. */
function decodeB64url(part: string, kid: string): Buffer {
  if (!B64URL.test(part)) throw new DecryptError('malformed', kid);
  const buf = Buffer.from(part, 'base64url');
  if (buf.toString('base64url') !== part) throw new DecryptError('malformed', kid);
  return buf;
}

function parseEnvelope(envelope: string): ParsedEnvelope {
  const parts = envelope.split('.');
  if (parts.length !== 5) throw new DecryptError('malformed', undefined);
  const [version, kid, ivPart, ctPart, tagPart] = parts;
  if (
    version !== ENVELOPE_VERSION ||
    kid === undefined ||
    !KID_PATTERN.test(kid) ||
    ivPart === undefined ||
    ctPart === undefined ||
    tagPart === undefined
  ) {
    throw new DecryptError('malformed', undefined);
  }
  const iv = decodeB64url(ivPart, kid);
  const ct = decodeB64url(ctPart, kid);
  const tag = decodeB64url(tagPart, kid);
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptError('malformed', kid);
  return { kid, iv, ct, tag };
}

/** The kid that sealed `envelope`, without decrypting. Throws DecryptError if malformed. */
export function envelopeKid(envelope: string): string {
  return parseEnvelope(envelope).kid;
}

/**
 * IVs are drawn from the CSPRNG a block at a time: one randomFillSync per call cost more than
 * the AES-GCM encryption itself (a bulk import seals thousands of secrets per request). Every
 * IV is still 96 fresh random bits, used once: each is copied out and its bytes in the block
 * are never handed out again.
 */
const IV_BLOCK = Buffer.alloc(IV_BYTES * 512);
let ivOffset = IV_BLOCK.length;

function nextIv(): Buffer {
  if (ivOffset + IV_BYTES > IV_BLOCK.length) {
    randomFillSync(IV_BLOCK);
    ivOffset = 0;
  }
  const iv = Buffer.from(IV_BLOCK.subarray(ivOffset, ivOffset + IV_BYTES));
  IV_BLOCK.fill(0, ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

function sealBuffer(ring: Keyring, plaintext: Buffer, place: SecretPlace): string {
  const kid = ring.primaryKid;
  const key = keyObjectFor(ring, kid);
  if (!key) throw new Error(`primary key "${kid}" missing from keyring`);
  const iv = nextIv();
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aadFor(place));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  noteEncryption(ring, kid);
  const b64 = (b: Buffer): string => b.toString('base64url');
  return [ENVELOPE_VERSION, kid, b64(iv), b64(ct), b64(tag)].join('.');
}

/** Decrypts to a Buffer the caller must zero. */
function openBuffer(ring: Keyring, envelope: string, place: SecretPlace): Buffer {
  const { kid, iv, ct, tag } = parseEnvelope(envelope);
  const key = keyObjectFor(ring, kid);
  if (!key) throw new DecryptError('unknown_kid', kid);
  const chunks: Buffer[] = [];
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(place));
    decipher.setAuthTag(tag);
    chunks.push(decipher.update(ct));
    chunks.push(decipher.final());
    return Buffer.concat(chunks);
  } catch {
    // Deliberately no `cause`: keep crypto internals out of error chains and logs.
    throw new DecryptError('auth_failed', kid);
  } finally {
    for (const c of chunks) c.fill(0);
  }
}

/** Encrypts under the keyring's primary key, bound to `aad`. */
export function encryptSecret(keyring: Keyring, plaintext: string, aad: SecretPlace): string {
  // UTF-8 would silently replace lone surrogates with U+FFFD; refuse rather than corrupt a secret.
  if (LONE_SURROGATE.test(plaintext)) throw new TypeError('secret is not well-formed UTF-16');
  const buf = Buffer.from(plaintext, 'utf8');
  try {
    return sealBuffer(keyring, buf, aad);
  } finally {
    buf.fill(0);
  }
}

/** Opens an envelope sealed for exactly `aad`. Any failure throws DecryptError. */
export function decryptSecret(keyring: Keyring, envelope: string, aad: SecretPlace): string {
  const buf = openBuffer(keyring, envelope, aad);
  try {
    return buf.toString('utf8');
  } finally {
    buf.fill(0);
  }
}

/**
 * Re-seals an envelope under the current primary key (rotation rewrap, C4) without the plaintext
 * ever becoming a JS string. Returns the input unchanged if already under the primary.
 */
export function rewrapSecret(keyring: Keyring, envelope: string, aad: SecretPlace): string {
  const buf = openBuffer(keyring, envelope, aad);
  try {
    return envelopeKid(envelope) === keyring.primaryKid ? envelope : sealBuffer(keyring, buf, aad);
  } finally {
    buf.fill(0);
  }
}
