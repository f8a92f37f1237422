/**
 * `credvault credentials export`: every credential of the account as JSON Lines of import
 * bodies, page by page from GET /v1/credentials/export.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { type CredvaultClient, unwrap } from '../../client/index.js';

export interface ExportOptions {
  client: CredvaultClient;
  includeSecrets: boolean;
  /** A file path (created with mode 0600), or undefined for standard output. */
  out?: string | undefined;
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

/**
 * With --out, the lines go to a new temporary file beside it (created exclusively with mode 0600,
 * so never through a symlink nor into an existing file's mode), renamed over --out at the end:
 * the rename replaces a symlink itself, never its target.
 */
export async function exportCredentials(opts: ExportOptions): Promise<number> {
  const temp = opts.out ? join(dirname(opts.out), `.${basename(opts.out)}.${randomBytes(6).toString('hex')}.tmp`) : undefined;
  const stream: Writable = temp ? createWriteStream(temp, { flags: 'wx', mode: 0o600 }) : process.stdout;
  let count = 0;
  let done = false;
  try {
    let cursor: string | undefined;
    do {
      const page = await unwrap(
        opts.client.GET('/v1/credentials/export', {
          params: { query: { include_secrets: opts.includeSecrets ? 'true' : 'false', limit: opts.pageSize, ...(cursor ? { cursor } : {}) } },
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
      if (done && opts.out) await rename(temp, opts.out);
      else await unlink(temp).catch(() => undefined);
    }
  }
  return count;
}
