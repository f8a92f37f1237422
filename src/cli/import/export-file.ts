/**
 * `credvault credentials export`: every credential of the account as JSON Lines of import
 * bodies, page by page from GET /v1/credentials/export.
 */
import { createWriteStream } from 'node:fs';
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

export async function exportCredentials(opts: ExportOptions): Promise<number> {
  const stream: Writable = opts.out ? createWriteStream(opts.out, { flags: 'w', mode: 0o600 }) : process.stdout;
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
