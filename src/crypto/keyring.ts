/**
 * Master-key keyring (docs/security.md C4, C5, C6, C7).
 *
 * `CREDVAULT_MASTER_KEYS` = `kid:base64(32 bytes)[,kid:base64(32 bytes)...]`; the first entry is
 * the primary (encrypts), the rest only decrypt. Key bytes live only inside `KeyObject`s kept in
 * a module-private WeakMap, so a Keyring can be logged, inspected or JSON-encoded without leaking
 * anything. Decoded Buffers are zeroed once the KeyObjects exist. The spec string itself is a JS
 * string and cannot be wiped: documented residual risk (C7).
 */
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export const KID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const KEY_BYTES = 32;
/** Rotate long before this many encryptions under one key (C5: random 96-bit IVs). */
export const ENCRYPTION_ROTATE_THRESHOLD = 2 ** 31;

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FINGERPRINT_LABEL = 'credvault:master-key-fingerprint:v1';

/** Invalid master-key configuration. Messages name the kid or entry position, never key material. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
  constructor(
    message: string,
    readonly kid?: string,
  ) {
    super(message);
  }
}

export interface Keyring {
  /** kid of the key that encrypts new secrets. */
  readonly primaryKid: string;
  /** All kids, primary first (a fresh copy on every read). */
  readonly kids: string[];
  has(kid: string): boolean;
  /** Encryptions performed under `kid` by this process (C5); 0 for unknown kids. */
  encryptionCount(kid: string): number;
  /**
   * HMAC-SHA256 of a fixed label under the key, hex. Safe to store and compare at boot to
   * detect a wrong/missing key (C6); reveals nothing about the key itself.
   */
  fingerprint(kid: string): string;
}

interface KeyringState {
  keys: Map<string, KeyObject>;
  counts: Map<string, number>;
  /** Encryptions not yet added to the database's ledger (crypto/ledger.ts). */
  unrecorded: Map<string, number>;
}

const states = new WeakMap<Keyring, KeyringState>();

function stateOf(ring: Keyring): KeyringState {
  const state = states.get(ring);
  if (!state) throw new TypeError('keyring was not created by parseMasterKeys');
  return state;
}

/** @internal For src/crypto only: the KeyObject for `kid`, or undefined if not in the ring. */
export function keyObjectFor(ring: Keyring, kid: string): KeyObject | undefined {
  return stateOf(ring).keys.get(kid);
}

/** @internal For src/crypto only: record one encryption under `kid` (C5). */
export function noteEncryption(ring: Keyring, kid: string): void {
  const { counts, unrecorded } = stateOf(ring);
  counts.set(kid, (counts.get(kid) ?? 0) + 1);
  unrecorded.set(kid, (unrecorded.get(kid) ?? 0) + 1);
}

/** @internal For src/crypto only: the encryptions not yet recorded in the ledger, handed over (and forgotten here). */
export function takeUnrecordedEncryptions(ring: Keyring): Map<string, number> {
  const state = stateOf(ring);
  const taken = state.unrecorded;
  state.unrecorded = new Map();
  return taken;
}

/** @internal For src/crypto only: give back encryptions whose recording failed, to be recorded next time. */
export function returnUnrecordedEncryptions(ring: Keyring, counts: ReadonlyMap<string, number>): void {
  const { unrecorded } = stateOf(ring);
  for (const [kid, n] of counts) unrecorded.set(kid, (unrecorded.get(kid) ?? 0) + n);
}

function describeEntry(index: number): string {
  return `CREDVAULT_MASTER_KEYS entry #${index + 1}`;
}

function decodeKey(kid: string, encoded: string): KeyObject {
  if (!STD_BASE64.test(encoded)) {
    throw new KeyringError(`master key "${kid}" is not valid base64`, kid);
  }
  const raw = Buffer.from(encoded, 'base64');
  try {
    if (raw.length !== KEY_BYTES) {
      throw new KeyringError(`master key "${kid}" must decode to exactly ${KEY_BYTES} bytes (got ${raw.length})`, kid);
    }
    return createSecretKey(raw);
  } finally {
    raw.fill(0);
  }
}

export function parseMasterKeys(spec: string): Keyring {
  const keys = new Map<string, KeyObject>();
  const entries = spec.split(',');
  entries.forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const colon = entry.indexOf(':');
    if (entry === '' || colon < 0) {
      // No colon: the entry may be bare key material, so never echo it.
      throw new KeyringError(`${describeEntry(index)} is not of the form kid:base64key`);
    }
    const kid = entry.slice(0, colon);
    if (!KID_PATTERN.test(kid)) {
      // An invalid kid may be key material written in the wrong order: name the position only.
      throw new KeyringError(`${describeEntry(index)} has an invalid kid (expected ${KID_PATTERN.source})`);
    }
    if (keys.has(kid)) throw new KeyringError(`duplicate master key kid "${kid}"`, kid);
    keys.set(kid, decodeKey(kid, entry.slice(colon + 1)));
  });
  const order = [...keys.keys()];
  const primaryKid = order[0];
  if (primaryKid === undefined) throw new KeyringError('CREDVAULT_MASTER_KEYS is empty');

  const counts = new Map<string, number>();
  const ring: Keyring = {
    primaryKid,
    get kids() {
      return [...order];
    },
    has: (kid) => keys.has(kid),
    encryptionCount: (kid) => counts.get(kid) ?? 0,
    fingerprint(kid) {
      const key = keys.get(kid);
      if (!key) throw new KeyringError(`unknown master key kid "${kid}"`, kid);
      return createHmac('sha256', key).update(FINGERPRINT_LABEL).digest('hex');
    },
  };
  Object.freeze(ring);
  states.set(ring, { keys, counts, unrecorded: new Map() });
  return ring;
}

function utcDate(now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
}

/**
 * A fresh random 32-byte key as a `kid:base64` spec entry, ready to prepend to
 * CREDVAULT_MASTER_KEYS. Default kid: `k` + UTC yyyymmdd + 4 random hex chars.
 */
export function generateKey(kid?: string): { kid: string; spec: string } {
  const id = kid ?? `k${utcDate(new Date())}${randomBytes(2).toString('hex')}`;
  if (!KID_PATTERN.test(id)) {
    throw new KeyringError(`invalid kid (expected ${KID_PATTERN.source})`);
  }
  const raw = randomBytes(KEY_BYTES);
  try {
    return { kid: id, spec: `${id}:${raw.toString('base64')}` };
  } finally {
    raw.fill(0);
  }
}

/**
 * The same keys with `kid` as the primary (the database's choice, crypto/primary.ts). Counts
 * and unrecorded encryptions are shared with `ring`, so the ledger sees every encryption.
 */
export function withPrimary(ring: Keyring, kid: string): Keyring {
  if (kid === ring.primaryKid) return ring;
  if (!ring.has(kid)) throw new KeyringError(`unknown master key kid "${kid}"`, kid);
  const state = stateOf(ring);
  const order = [kid, ...ring.kids.filter((k) => k !== kid)];
  const next: Keyring = Object.freeze({
    primaryKid: kid,
    get kids() {
      return [...order];
    },
    has: (k: string) => ring.has(k),
    encryptionCount: (k: string) => ring.encryptionCount(k),
    fingerprint: (k: string) => ring.fingerprint(k),
  });
  states.set(next, state);
  return next;
}
