import { randomBytes } from 'node:crypto';

let lastMs = 0;
let seq = 0;
/**
 * Random bytes drawn 4 KiB at a time: one CSPRNG call per 256 ids instead of one per id (every
 * event, attempt and row takes an id; the call was a measurable share of a webhook delivery).
 */
let pool = Buffer.alloc(0);
let offset = 0;
function random16(): Buffer {
  if (offset + 16 > pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  const b = Buffer.allocUnsafe(16);
  pool.copy(b, 0, offset, offset + 16);
  offset += 16;
  return b;
}

/**
 * A UUID v7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits. Ids made by this
 * process in the same millisecond stay in order (a 12-bit counter in rand_a), so events sort
 * by creation (docs/events.md).
 */
export function uuidv7(at: Date = new Date()): string {
  let ms = at.getTime();
  if (ms <= lastMs) {
    ms = lastMs;
    seq += 1;
    if (seq > 0xfff) {
      ms += 1;
      seq = 0;
    }
  } else seq = 0;
  lastMs = ms;
  const b = random16();
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
