/**
 * `credvault credentials export`: every credential of the account as JSON Lines of import
 * bodies, page by page from GET /v1/credentials/export.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, lstat, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { CredvaultClient } from '../../client/index.js';
import { unwrap } from '../../client/errors.js';

export interface ExportOptions {
  client: CredvaultClient;
  includeSecrets: boolean;
  /** A file path (created with mode 0600), or undefined for standard output. */
  out?: string | undefined;
  /** Replace `out` when it exists (else an existing file is refused: it may be the last backup). */
  overwrite?: boolean;
  pageSize: number;
  onPage?(count: number): void;
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(text)) resolve();
    else {
      stream.once('drain', resolve);
      stream.once('error', reject);
    }
  });
}

function existsError(out: string): Error {
  return new Error(`${out} exists: pass --force to replace it, or choose another --out`);
}

/**
 * With --out, the lines go to a new temporary file beside it (created exclusively with mode 0600,
 * so never through a symlink nor into an existing file's mode), moved to --out at the end: with
 * --force renamed over it (the rename replaces a symlink itself, never its target), else linked.
 */
export async function exportCredentials(opts: ExportOptions): Promise<number> {
  // An existing --out is refused up front, before the first request, unless --force (it may be the last backup).
  if (
    opts.out &&
    !opts.overwrite &&
    (await lstat(opts.out).then(
      () => true,
      () => false,
    ))
  )
    throw existsError(opts.out);
  const temp = opts.out
    ? join(dirname(opts.out), `.${basename(opts.out)}.${randomBytes(6).toString('hex')}.tmp`)
    : undefined;
  const stream: Writable = temp ? createWriteStream(temp, { flags: 'wx', mode: 0o600 }) : process.stdout;
  let count = 0;
  let done = false;
  try {
    let cursor: string | undefined;
    do {
      const page = await unwrap(
        opts.client.GET('/v1/credentials/export', {
          params: {
            query: {
              include_secrets: opts.includeSecrets ? 'true' : 'false',
              limit: opts.pageSize,
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      );
      for (const item of page.data) {
        if (item.error) {
          // Not an import body: said on standard error, left out of the file.
          process.stderr.write(`credential ${item.error.credential_id} skipped: ${item.error.summary}\n`);
          continue;
        }
        await write(stream, `${JSON.stringify(item)}\n`);
        count++;
      }
      opts.onPage?.(count);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    done = true;
  } finally {
    if (temp) {
      await new Promise<void>((resolve) => stream.end(resolve));
      if (done && opts.out && opts.overwrite) await rename(temp, opts.out);
      else if (done && opts.out) {
        // Without --force, a file that appeared meanwhile is still not replaced: link fails on it.
        const out = opts.out;
        await link(temp, out)
          .catch((err: unknown) => {
            throw err instanceof Error && 'code' in err && err.code === 'EEXIST' ? existsError(out) : err;
          })
          .finally(() => unlink(temp).catch(() => undefined));
      } else await unlink(temp).catch(() => undefined);
    }
  }
  return count;
}
