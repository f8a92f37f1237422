/**
 * Request and answer bodies of proxied calls: counted and capped while they stream, never
 * buffered beyond the replay limit (proxy spec, "Rules").
 */
import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';

/** Bodies up to this size are read first so the call can be replayed after a refresh. */
export const REPLAYABLE_BYTES = 1024 * 1024;

export class TooLargeError extends Error {
  constructor() {
    super('too large');
    this.name = 'TooLargeError';
  }
}

/** Passes bytes on and counts them; fails with TooLargeError past `max`. */
export class ByteCounter extends Transform {
  bytes = 0;
  exceeded = false;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) {
      this.exceeded = true;
      cb(new TooLargeError());
      return;
    }
    cb(null, chunk);
  }
}

export type RequestBody =
  | { kind: 'none' }
  | { kind: 'buffered'; data: Buffer }
  | { kind: 'stream'; counter: ByteCounter; declared: number | undefined }
  | { kind: 'too_large' };

function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

const NONE: RequestBody = { kind: 'none' };
const TOO_LARGE: RequestBody = { kind: 'too_large' };

async function readSmall(req: IncomingMessage, max: number): Promise<RequestBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) return TOO_LARGE;
    chunks.push(b);
  }
  return { kind: 'buffered', data: Buffer.concat(chunks) };
}

/**
 * Reads a small body (replayable), or sets up a capped stream for a large or chunked one. Only
 * reading a small body waits: a call without a body (most proxied GETs) gets its answer at once.
 */
export function takeBody(req: IncomingMessage, max: number): RequestBody | Promise<RequestBody> {
  const declared = declaredLength(req);
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (declared === undefined || declared === 0)) return NONE;
  if (declared !== undefined && declared > max) return TOO_LARGE;
  if (!chunked && declared !== undefined && declared <= REPLAYABLE_BYTES) return readSmall(req, max);
  const counter = new ByteCounter(max);
  // The call may fail before the counter is sent anywhere (a host that does not resolve, a
  // credential that cannot sign): its TooLargeError must then not be an uncaught 'error', which
  // would end the process. `exceeded` tells the caller; the sender adds its own listener.
  counter.on('error', () => undefined);
  req.on('error', (err) => counter.destroy(err));
  req.pipe(counter);
  return { kind: 'stream', counter, declared };
}
