/**
 * Sends import records to POST /v1/credentials/bulk in batches and reports every line.
 * Imports are upserts, so an interrupted run is resumed by running it again.
 */
import type { CredvaultClient, ImportCredentialBody } from '../../client/index.js';
import type { SourceRecord } from './jsonl.js';

export interface LineError {
  summary: string;
  validation_errors?: Record<string, string[]>;
}

export type LineResult = { line: number; id: string } | { line: number; error: LineError };

/** A record turned into the body to send, or the reason it is not sent. */
export type Prepared = { ok: true; body: unknown } | { ok: false; error: LineError };

export interface ImportOptions {
  client: CredvaultClient;
  records: AsyncIterable<SourceRecord>;
  prepare(value: unknown): Prepared;
  batchSize: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** Each line's result, in line order. */
  onResult(result: LineResult): void | Promise<void>;
  onProgress?(done: number, failed: number): void;
  sleep?(ms: number): Promise<void>;
}

export interface ImportSummary {
  done: number;
  imported: number;
  failed: number;
}

/** The whole import cannot go on (auth, server down...): what was sent so far stays imported. */
export class ImportAborted extends Error {}

interface Entry {
  line: number;
  body: unknown;
}

const RETRIES = 4;
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function itemIndexOf(path: string): number | undefined {
  const m = /^items\.(\d+)(?:\.|$)/.exec(path);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  const sleep = opts.sleep ?? defaultSleep;
  const summary: ImportSummary = { done: 0, imported: 0, failed: 0 };

  async function post(entries: Entry[]) {
    // The lines are sent as they are; the server validates each item and answers per item.
    const items = entries.map((e) => e.body) as ImportCredentialBody[];
    for (let attempt = 1; ; attempt++) {
      try {
        // Only the ids are reported: the whole credentials would be written, sent and parsed for nothing.
        const res = await opts.client.POST('/v1/credentials/bulk', {
          body: { items },
          params: { header: { prefer: 'return=minimal' } },
        });
        if (res.response.status === 429 || (res.response.status >= 500 && attempt < RETRIES)) {
          const after = Number(res.response.headers.get('retry-after'));
          await sleep(Number.isFinite(after) && after > 0 ? after * 1000 : 250 * 2 ** attempt);
          continue;
        }
        return res;
      } catch (err) {
        if (attempt >= RETRIES) {
          throw new ImportAborted(
            `cannot reach credvault (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)})`,
          );
        }
        await sleep(250 * 2 ** attempt);
      }
    }
  }

  async function send(entries: Entry[]): Promise<LineResult[]> {
    if (entries.length === 0) return [];
    const res = await post(entries);
    const status = res.response.status;
    if (status === 200 && res.data) {
      return res.data.results.map((r) => {
        const line = entries[r.index]?.line ?? -1;
        if (r.status !== 200) return { line, error: r.error };
        return { line, id: 'id' in r ? r.id : r.credential.id };
      });
    }
    if (status === 413 && entries.length > 1) {
      const half = Math.ceil(entries.length / 2);
      return [...(await send(entries.slice(0, half))), ...(await send(entries.slice(half)))];
    }
    const body: LineError | undefined = res.error && typeof res.error.summary === 'string' ? res.error : undefined;
    if (status === 422 && body?.validation_errors) {
      // A check on the whole request named some items (e.g. a NUL character): fail those, send the rest.
      const byItem = new Map<number, Record<string, string[]>>();
      for (const [path, reasons] of Object.entries(body.validation_errors)) {
        const i = itemIndexOf(path);
        if (i === undefined) continue;
        byItem.set(i, { ...byItem.get(i), [path.replace(/^items\.\d+\.?/, '') || '(body)']: reasons });
      }
      if (byItem.size > 0) {
        const failed: LineResult[] = [...byItem].map(([i, errors]) => ({
          line: entries[i]?.line ?? -1,
          error: {
            summary: `The request is invalid: check ${Object.keys(errors).join(', ')}.`,
            validation_errors: errors,
          },
        }));
        return [...failed, ...(await send(entries.filter((_, i) => !byItem.has(i))))];
      }
    }
    const why = body?.summary ?? `credvault answered ${status}`;
    throw new ImportAborted(`${why} (HTTP ${status})`);
  }

  let pending: { failed: LineResult[]; entries: Entry[] } = { failed: [], entries: [] };
  const inFlight: Promise<LineResult[]>[] = [];

  async function settleOldest(): Promise<void> {
    const oldest = inFlight.shift();
    if (!oldest) return;
    const results = (await oldest).sort((a, b) => a.line - b.line);
    for (const r of results) {
      summary.done++;
      if ('id' in r) summary.imported++;
      else summary.failed++;
      await opts.onResult(r);
    }
    opts.onProgress?.(summary.done, summary.failed);
  }

  function dispatch(): void {
    const { failed, entries } = pending;
    pending = { failed: [], entries: [] };
    const run = send(entries).then((sent) => [...failed, ...sent]);
    // Settled in order by settleOldest; a rejection here must not go unhandled meanwhile.
    run.catch(() => undefined);
    inFlight.push(run);
  }

  try {
    for await (const record of opts.records) {
      if ('error' in record) {
        pending.failed.push({ line: record.line, error: { summary: record.error } });
      } else {
        const prepared = opts.prepare(record.value);
        if (prepared.ok) pending.entries.push({ line: record.line, body: prepared.body });
        else
          pending.failed.push({
            line: record.line,
            error: { ...prepared.error, summary: `line ${record.line}: ${prepared.error.summary}` },
          });
      }
      if (pending.entries.length >= opts.batchSize || pending.failed.length >= opts.batchSize) {
        if (inFlight.length >= opts.concurrency) await settleOldest();
        dispatch();
      }
    }
    if (pending.entries.length > 0 || pending.failed.length > 0) dispatch();
    while (inFlight.length > 0) await settleOldest();
  } finally {
    // On abort, let the other batches finish or fail quietly before reporting.
    await Promise.allSettled(inFlight);
  }
  return summary;
}
