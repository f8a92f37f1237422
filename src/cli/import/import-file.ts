/**
 * `credvault credentials import FILE`: reads JSON Lines (or a JSON array), optionally maps
 * Nango connections, sends batches, and writes a per-line report.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { CredvaultClient } from '../../client/index.js';
import type { Progress } from '../progress.js';
import { KIND_SPECS, resolveKind } from '../../providers/registry.js';
import { type ImportSummary, type LineError, type LineResult, type Prepared, runImport } from './importer.js';
import { openSource, readRecords } from './jsonl.js';
import { mapNangoConnection } from './nango.js';

export interface ImportFileOptions {
  client: CredvaultClient;
  file: string;
  from: 'credvault' | 'nango';
  /** OAuth app id per provider (--oauth-app PROVIDER=ID). */
  oauthApps: Partial<Record<string, string>>;
  batchSize: number;
  concurrency: number;
  reportPath?: string | undefined;
  progress: Progress;
  /** Print each failed line on stderr (through the progress display). */
  echoFailures: boolean;
}

export function describeLineError(line: number, error: LineError): string {
  const fields = Object.entries(error.validation_errors ?? {}).map(([f, r]) => `${f}: ${r.join('; ')}`);
  const summary = error.summary.startsWith(`line ${line}`) ? error.summary : `line ${line}: ${error.summary}`;
  return fields.length > 0 ? `${summary} (${fields.join(', ')})` : summary;
}

/** With --oauth-app, a credvault import body of that provider gets that OAuth app (e.g. moving to another account). */
function overrideApp(value: unknown, apps: Partial<Record<string, string>>): unknown {
  if (Object.keys(apps).length === 0 || typeof value !== 'object' || value === null || Array.isArray(value))
    return value;
  const body = value as Record<string, unknown>;
  const props = body.properties;
  const kindName = typeof props === 'object' && props !== null ? (props as Record<string, unknown>).kind : undefined;
  const kind = typeof kindName === 'string' ? resolveKind(kindName) : undefined;
  const appId = kind ? apps[KIND_SPECS[kind].provider] : undefined;
  return appId ? { ...body, oauth_app_id: appId } : value;
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

export async function importFile(opts: ImportFileOptions): Promise<ImportSummary> {
  const prepare = (value: unknown): Prepared => {
    if (opts.from === 'credvault') return { ok: true, body: overrideApp(value, opts.oauthApps) };
    const mapped = mapNangoConnection(value, { oauthApps: opts.oauthApps });
    return mapped.ok ? { ok: true, body: mapped.body } : { ok: false, error: { summary: mapped.reason } };
  };
  const report = opts.reportPath ? createWriteStream(opts.reportPath, { flags: 'w', mode: 0o600 }) : undefined;
  const onResult = async (r: LineResult) => {
    if (report && !report.write(`${JSON.stringify(r)}\n`))
      await new Promise<void>((resolve) => report.once('drain', () => resolve()));
    if ('error' in r && opts.echoFailures) opts.progress.log(describeLineError(r.line, r.error));
  };
  try {
    return await runImport({
      client: opts.client,
      records: readRecords(openSource(opts.file)),
      prepare,
      batchSize: opts.batchSize,
      concurrency: opts.concurrency,
      onResult,
      onProgress: (done, failed) => opts.progress.update(done, failed),
    });
  } finally {
    opts.progress.finish();
    if (report) await closeStream(report);
  }
}
