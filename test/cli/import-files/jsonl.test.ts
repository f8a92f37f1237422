/** Reading JSON Lines / JSON arrays, and the importer's handling of whole-batch answers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createCredvaultClient } from '../../../src/client/index.js';
import { ImportAborted, type LineResult, runImport } from '../../../src/cli/import/importer.js';
import { type SourceRecord, countRecords, readRecords } from '../../../src/cli/import/jsonl.js';

async function collect(text: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readRecords(Readable.from([text]))) out.push(r);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'credvault-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRecords', () => {
  it('reads JSON Lines, skips blank lines, reports bad lines by number and goes on', async () => {
    const records = await collect('{"a":1}\n\n  \n{"b":2}\r\n{oops\n[1,2]\n"str"\n');
    expect(records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 4, value: { b: 2 } },
      { line: 5, error: expect.stringMatching(/^line 5 is not valid JSON: /) },
      { line: 6, value: [1, 2] },
      { line: 7, value: 'str' },
    ]);
  });

  it('reads a JSON array document (pretty-printed or not); positions are 1-based', async () => {
    expect(await collect('\n[\n  {"a": 1},\n  {"b": 2}\n]\n')).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 2, value: { b: 2 } },
    ]);
    expect(await collect('[{"a":1}]')).toEqual([{ line: 1, value: { a: 1 } }]);
    expect(await collect('[{"a":1},\n')).toEqual([
      { line: 1, error: expect.stringMatching(/looks like a JSON array but is not valid JSON/) },
    ]);
  });

  it('counts records of files for the ETA', async () => {
    const jsonl = join(dir, 'a.jsonl');
    writeFileSync(jsonl, '{"a":1}\n\n{"b":2}\nbad\n');
    expect(await countRecords(jsonl)).toBe(3);
    const array = join(dir, 'b.json');
    writeFileSync(array, '[1,2,3,4]');
    expect(await countRecords(array)).toBe(4);
    expect(await countRecords('-')).toBeUndefined();
  });
});

/** A fake server answering the bulk route from a function of the items. */
function fakeClient(answer: (items: unknown[], call: number) => Response) {
  let calls = 0;
  const seen: unknown[][] = [];
  const prefer: Array<string | null> = [];
  const fetchImpl: typeof fetch = async (input) => {
    const req = input instanceof Request ? input : new Request(input);
    const body = (await req.json()) as { items: unknown[] };
    seen.push(body.items);
    prefer.push(req.headers.get('prefer'));
    return answer(body.items, calls++);
  };
  return { client: createCredvaultClient({ url: 'http://fake', token: 't', fetch: fetchImpl }), seen, prefer };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const okAll = (items: unknown[]) =>
  json(200, {
    results: items.map((_, index) => ({
      index,
      status: 200,
      credential: { id: `id-${JSON.stringify(items[index])}` },
    })),
  });

async function* records(n: number): AsyncGenerator<SourceRecord> {
  for (let i = 1; i <= n; i++) yield { line: i, value: { n: i } };
}

async function run(client: ReturnType<typeof fakeClient>['client'], n: number, batchSize = 4) {
  const results: LineResult[] = [];
  const summary = await runImport({
    client,
    records: records(n),
    prepare: (v) => ({ ok: true, body: v }),
    batchSize,
    concurrency: 2,
    onResult: (r) => void results.push(r),
    sleep: async () => undefined,
  });
  return { results, summary };
}

describe('runImport', () => {
  it('asks for minimal answers (ids only) and reads both answer forms', async () => {
    const minimal = (items: unknown[]) =>
      json(
        200,
        { results: items.map((_, index) => ({ index, status: 200, id: `min-${index}` })) },
        { 'preference-applied': 'return=minimal' },
      );
    // The batch of lines 1-4 gets the minimal form, the other the full one.
    const { client, prefer } = fakeClient((items) =>
      (items[0] as { n: number }).n === 1 ? minimal(items) : okAll(items),
    );
    const { results } = await run(client, 8);
    expect(prefer).toEqual(['return=minimal', 'return=minimal']);
    expect(results.slice(0, 4)).toEqual([0, 1, 2, 3].map((i) => ({ line: i + 1, id: `min-${i}` })));
    expect(results[4]).toEqual({ line: 5, id: `id-${JSON.stringify({ n: 5 })}` });
  });

  it('reports every line in order across concurrent batches', async () => {
    const { client, seen } = fakeClient(okAll);
    const { results, summary } = await run(client, 10);
    expect(seen.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(results.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(summary).toEqual({ done: 10, imported: 10, failed: 0 });
  });

  it('a whole-batch 422 naming items fails those lines and resends the others', async () => {
    const { client, seen } = fakeClient((items) => {
      const i = items.findIndex((it) => (it as { n: number }).n === 3);
      return i >= 0
        ? json(422, {
            summary: 'bad',
            validation_errors: { [`items.${i}.properties.name`]: ['must not contain the NUL character (\\u0000)'] },
          })
        : okAll(items);
    });
    const { results, summary } = await run(client, 4);
    expect(seen.map((b) => b.length)).toEqual([4, 3]);
    expect(results[2]).toEqual({
      line: 3,
      error: {
        summary: 'The request is invalid: check properties.name.',
        validation_errors: { 'properties.name': ['must not contain the NUL character (\\u0000)'] },
      },
    });
    expect(summary).toEqual({ done: 4, imported: 3, failed: 1 });
  });

  it('splits a batch the server finds too large (413), and waits out 429 and 5xx answers', async () => {
    const { client, seen } = fakeClient((items, call) => {
      if (items.length > 2) return json(413, { summary: 'too large' });
      if (call === 3) return json(429, { summary: 'slow down' }, { 'retry-after': '1' });
      if (call === 4) return json(503, { summary: 'storage unavailable' });
      return okAll(items);
    });
    const { summary } = await run(client, 8);
    expect(summary).toEqual({ done: 8, imported: 8, failed: 0 });
    expect(seen.filter((b) => b.length <= 2).length).toBeGreaterThanOrEqual(4);
  });

  it('stops on an answer no retry can fix (401), keeping what was sent', async () => {
    const { client } = fakeClient((items, call) =>
      call === 0 ? okAll(items) : json(401, { summary: 'Send a valid API token.' }),
    );
    await expect(run(client, 8)).rejects.toThrow(ImportAborted);
    await expect(run(fakeClient(() => json(401, { summary: 'Send a valid API token.' })).client, 2)).rejects.toThrow(
      /Send a valid API token\. \(HTTP 401\)/,
    );
  });
});
