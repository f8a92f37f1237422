/**
 * What the data commands share: the connection to a running credvault (--url, --token),
 * turning HTTP answers into exit codes and messages, and printing.
 */
import { type Command, Option } from 'commander';
import type { CredvaultClient } from '../client/index.js';
import { CredvaultError, unwrap } from '../client/errors.js';
import { createNodeClient } from './node-client.js';
import { readConfig } from './config-file.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ConnectionOptions {
  url: string;
  token?: string;
}

/** Adds --url and --token (with their environment variables) to a command. */
export function withConnection(cmd: Command): Command {
  return cmd
    .addOption(new Option('--url <url>', 'base URL of the credvault server').env('CREDVAULT_URL').default(DEFAULT_URL))
    .addOption(
      new Option('--token <token>', 'API token (prefer the environment variable: arguments show in ps)').env(
        'CREDVAULT_TOKEN',
      ),
    );
}

/** A usage error: commander prints it and the CLI exits 2. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: 'credvault.usage' });
}

/** URL and token: --url/--token, else CREDVAULT_URL/CREDVAULT_TOKEN, else `credvault login`'s file. */
export function connection(cmd: Command): ConnectionOptions {
  const opts = cmd.opts<ConnectionOptions>();
  const urlGiven = cmd.getOptionValueSource('url') !== 'default';
  if (urlGiven && opts.token) return opts;
  const stored = readConfig();
  if (!stored) return opts;
  // A token from the file goes only to the URL it was stored with.
  if (!urlGiven) return { url: stored.url, token: opts.token ?? stored.token };
  const token = opts.token ?? (stored.url === opts.url ? stored.token : undefined);
  return token ? { url: opts.url, token } : { url: opts.url };
}

export function connect(cmd: Command): CredvaultClient {
  const opts = connection(cmd);
  if (!opts.token) usageError(cmd, 'no API token: pass --token or set CREDVAULT_TOKEN (or run credvault login)');
  try {
    new URL(opts.url);
  } catch {
    usageError(cmd, `--url ${opts.url} is not a URL (e.g. ${DEFAULT_URL})`);
  }
  return createNodeClient({ url: opts.url, token: opts.token, headers: { 'user-agent': 'credvault-cli' } });
}

/** A failed call as one readable message (the CLI prints it and exits 1). */
export function describeFailure(err: unknown, url?: string): string {
  if (err instanceof CredvaultError) {
    const lines = [`credvault answered ${err.status}: ${err.body?.summary ?? 'no details'}`];
    for (const [field, reasons] of Object.entries(err.body?.validation_errors ?? {}))
      lines.push(`  ${field}: ${reasons.join('; ')}`);
    return lines.join('\n');
  }
  if (err instanceof TypeError && /fetch/i.test(err.message)) {
    const cause = err.cause instanceof Error ? err.cause.message : 'network error';
    return `cannot reach credvault${url ? ` at ${url}` : ''} (${cause})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Runs work that talks to the server; its failures become Errors with a readable message (exit 1). */
export async function guarded<T>(cmd: Command, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw new Error(describeFailure(err, connection(cmd).url), { cause: err });
  }
}

/** Awaits a client call: its data, or an Error naming the status, summary and validation errors. */
export function call<D>(
  cmd: Command,
  request: Promise<{ data?: D; error?: unknown; response: Pick<Response, 'ok' | 'status'> }>,
): Promise<D> {
  return guarded(cmd, unwrap(request));
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A plain aligned table on stdout. */
export function printTable(rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(columns.map((c) => c.toUpperCase()))}\n`);
  for (const r of rows) process.stdout.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

/** Parses a JSON object option (e.g. --metadata '{"team":"billing"}'), or exits 2. */
export function jsonObjectOption(
  cmd: Command,
  flag: string,
  text: string | undefined,
): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  return usageError(cmd, `${flag} must be a JSON object, e.g. '{"team":"billing"}'`);
}

/** Parses a positive integer option, or exits 2. */
export function intOption(cmd: Command, flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) usageError(cmd, `${flag} must be an integer from ${min} to ${max}`);
  return n;
}

/** Reads all of standard input (for `-` values such as a client secret). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
