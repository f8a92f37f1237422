/**
 * `credvault credentials export`: every credential of the account as JSON Lines of import
 * bodies, page by page from GET /v1/credentials/export.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { type CredvaultClient, unwrap } from '../../client/index.js';

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

export async function exportCredentials(opts: ExportOptions): Promise<number> {
  let stream: Writable = process.stdout;
  if (opts.out) {
    // Opened before the first request: an existing file is refused up front (flag wx), not after a page.
    const handle = await open(opts.out, opts.overwrite ? 'w' : 'wx', 0o600).catch((err: unknown) => {
      if (err instanceof Error && 'code' in err && err.code === 'EEXIST') throw new Error(`${opts.out} exists: pass --force to replace it, or choose another --out`);
      throw err;
    });
    // A replaced file keeps its old mode on open: the export may hold plaintext secrets.
    await handle.chmod(0o600);
    stream = createWriteStream('', { fd: handle.fd, autoClose: true });
  }
  let count = 0;
  try {
    let cursor: string | undefined;
    do {
      const page = await unwrap(
        opts.client.GET('/v1/credentials/export', {
          params: { query: { include_secrets: opts.includeSecrets ? 'true' : 'false', limit: opts.pageSize, ...(cursor ? { cursor } : {}) } },
        }),
      );
      for (const item of page.data) await write(stream, `${JSON.stringify(item)}\n`);
      count += page.data.length;
      opts.onPage?.(count);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  } finally {
    if (opts.out) await new Promise<void>((resolve) => stream.end(resolve));
  }
  return count;
}
