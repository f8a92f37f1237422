import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * One input record: its position (the line of a JSON Lines file, or the 1-based position
 * of an item in a JSON array) and either its parsed value or why it could not be parsed.
 */
export type SourceRecord = { line: number; value: unknown } | { line: number; error: string };

/** `-` is standard input; anything else a file path. */
export function openSource(path: string, stdin: Readable = process.stdin): Readable {
  return path === '-' ? stdin : createReadStream(path);
}

function describeParseError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads JSON Lines, or a JSON array when the first non-blank character is `[`. Blank lines
 * are skipped; a line that is not JSON yields an error record and reading goes on.
 */
export async function* readRecords(input: Readable): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let seenContent = false;
  let arrayText: string[] | undefined;
  for await (const raw of lines) {
    n++;
    if (arrayText) {
      arrayText.push(raw);
      continue;
    }
    const text = raw.trim();
    if (text === '') continue;
    // Only the first non-blank line can open a JSON array document.
    const first = !seenContent;
    seenContent = true;
    if (first && text.startsWith('[')) {
      arrayText = [raw];
      continue;
    }
    try {
      yield { line: n, value: JSON.parse(text) };
    } catch (err) {
      yield { line: n, error: `line ${n} is not valid JSON: ${describeParseError(err)}` };
    }
  }
  if (arrayText) yield* arrayRecords(arrayText.join('\n'));
}

function* arrayRecords(text: string): Generator<SourceRecord> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    yield { line: 1, error: `the file looks like a JSON array but is not valid JSON: ${describeParseError(err)}` };
    return;
  }
  if (!Array.isArray(parsed)) {
    yield { line: 1, error: 'the file is neither JSON Lines nor a JSON array' };
    return;
  }
  for (const [i, value] of parsed.entries()) yield { line: i + 1, value };
}

/** How many records a file holds (for the progress bar's ETA); undefined for standard input. */
export async function countRecords(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  const text = await readFile(path, 'utf8');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(trimmed);
      return Array.isArray(v) ? v.length : 1;
    } catch {
      return 1;
    }
  }
  let count = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') count++;
  return count;
}
