/**
 * `credvault credentials import` against a live server on PostgreSQL: 10,000 JSON lines with
 * 37 bad ones, every good line imported once, every bad line reported; then an import killed
 * half-way and re-run gives the same final state, without duplicates.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServer, assertBuilt, runCliProcess, spawnCli, startLiveServer } from './live.js';

const TOTAL = 10_000;
/** Lines (1-based) that are not JSON: reported by the CLI, never sent. */
const UNPARSEABLE = new Map<number, string>([
  [3, '{"properties": {"kind": "stripe_key"'],
  [250, 'not json at all'],
  [251, "{'single': 'quotes'}"],
  [999, '{"properties": {"kind": "stripe_key", "secret": "sk_live_x",}}'],
  [1000, '{"name": "trailing garbage"} x'],
  ...Array.from({ length: 15 }, (_, i) => [1500 + i * 400, `{"broken": ${i}`] as [number, string]),
]);
/** Lines the server refuses (422), with the field it names. */
const INVALID = new Map<number, [unknown, string]>([
  [1, [{ properties: { kind: 'nope' } }, 'properties.kind']],
  [2, [{ properties: { kind: 'stripe_key', secret: 'pk_live_public_key' } }, 'properties.secret']],
  [777, [{ properties: { kind: 'sendgrid_key' } }, 'properties.api_key']],
  [778, [{ properties: { kind: 'stripe_key', secret: 'sk_live_ok_but', surprise: 1 } }, 'properties.surprise']],
  [779, [{ name: 'no properties' }, 'properties']],
  [780, [[1, 2, 3], '(body)']],
  [781, [{ properties: { kind: 'stripe_key', secret: 'sk_live_nul\u0000inside' } }, 'properties.secret']],
  [
    782,
    [
      { properties: { kind: 'salesforce_oauth2', instance_url: 'https://evil.example.com', refresh_token: 'r' } },
      'properties.instance_url',
    ],
  ],
  ...Array.from(
    { length: 9 },
    (_, i) =>
      [2001 + i * 800, [{ properties: { kind: 'stripe_key', secret: `bad_${i}` } }, 'properties.secret']] as [
        number,
        [unknown, string],
      ],
  ),
]);

function goodLine(n: number): unknown {
  if (n % 5 === 0)
    return { name: `sg-${n}`, properties: { kind: 'sendgrid_key', api_key: `SG.key-${n}.secret` }, metadata: { n } };
  if (n % 7 === 0)
    return {
      name: `a0-${n}`,
      properties: {
        kind: 'auth0_client_credentials',
        domain: 'acme.us.auth0.com',
        client_id: `client-${n}`,
        client_secret: `cs-${n}`,
      },
    };
  return {
    name: `stripe-${n}`,
    properties: { kind: 'stripe_key', secret: `sk_live_line_${n}`, account_id: `acct_line${n}` },
    metadata: { n, batch: 'cli' },
  };
}

function writeInput(path: string): void {
  const lines: string[] = [];
  for (let n = 1; n <= TOTAL; n++) {
    const bad = UNPARSEABLE.get(n);
    const invalid = INVALID.get(n);
    lines.push(bad ?? JSON.stringify(invalid ? invalid[0] : goodLine(n)));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

type ReportLine = {
  line: number;
  id?: string;
  error?: { summary: string; validation_errors?: Record<string, string[]> };
};
const readReport = (path: string): ReportLine[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReportLine);

describe('credentials import of 10,000 lines on a live PostgreSQL server', () => {
  let server: LiveServer;
  let dir: string;
  let input: string;
  beforeAll(async () => {
    assertBuilt();
    expect(UNPARSEABLE.size + INVALID.size).toBe(37);
    server = await startLiveServer('postgres');
    dir = mkdtempSync(join(tmpdir(), 'credvault-import-'));
    input = join(dir, 'creds.jsonl');
    writeInput(input);
  });
  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function credentialsOf(accountId: string) {
    const rows = await server.rt.store.db
      .selectFrom('credentials')
      .select(['name', 'kind', 'identity', 'properties', 'metadata', sql<string>`secrets::text`.as('secrets')])
      .where('account_id', '=', accountId)
      .orderBy('identity')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      identity: r.identity,
      properties: r.properties,
      metadata: r.metadata,
      secretFields: Object.keys(JSON.parse(r.secrets) as object).sort(),
    }));
  }

  const good = TOTAL - 37;
  let reference: Awaited<ReturnType<typeof credentialsOf>>;

  it('imports every good line once and reports every bad line with its number and reason', async () => {
    const account = await server.newAccount();
    const report = join(dir, 'report.jsonl');
    const started = Date.now();
    const run = await runCliProcess(['credentials', 'import', input, '--report', report, '--json'], {
      CREDVAULT_URL: server.url,
      CREDVAULT_TOKEN: account.token,
    });
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `[informal] CLI imported ${TOTAL} lines in ${seconds.toFixed(2)}s (${Math.round(TOTAL / seconds)} lines/s)\n`,
    );
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ total: TOTAL, imported: good, failed: 37, report });
    expect(run.stderr).toContain(`${good} of ${TOTAL} lines imported, 37 failed`);

    const lines = readReport(report);
    expect(lines.map((l) => l.line)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    for (const [n, text] of UNPARSEABLE) {
      const l = lines[n - 1];
      expect(l?.error?.summary, `line ${n} (${text})`).toMatch(new RegExp(`^line ${n} is not valid JSON: `));
      expect(run.stderr).toContain(`line ${n} is not valid JSON`);
    }
    for (const [n, [, field]] of INVALID) {
      const l = lines[n - 1];
      expect(l?.error?.validation_errors, `line ${n}`).toHaveProperty([field]);
      expect(run.stderr).toContain(`line ${n}: `);
    }
    const ids = lines.filter((l) => l.id).map((l) => l.id);
    expect(ids).toHaveLength(good);
    expect(new Set(ids).size).toBe(good);
    reference = await credentialsOf(account.id);
    expect(reference).toHaveLength(good);
    const again = await runCliProcess(['credentials', 'import', input, '--quiet'], {
      CREDVAULT_URL: server.url,
      CREDVAULT_TOKEN: account.token,
    });
    expect(again.code).toBe(1);
    expect(await credentialsOf(account.id)).toHaveLength(good);
  });

  it('killed half-way (SIGKILL) and re-run: the same final state, no duplicates', async () => {
    expect(reference).toBeDefined();
    const account = await server.newAccount();
    const env = { CREDVAULT_URL: server.url, CREDVAULT_TOKEN: account.token };
    const first = spawnCli(
      ['credentials', 'import', input, '--batch-size', '100', '--concurrency', '1', '--quiet'],
      env,
    );
    let killedAt = '';
    first.stderrLines((line) => {
      const m = /^progress: ([\d,]+)\/[\d,]+ lines\s+(\d+)%/.exec(line);
      if (m && Number(m[2]) >= 30 && !killedAt) {
        killedAt = line;
        first.child.kill('SIGKILL');
      }
    });
    const killed = await first.done;
    expect(killed.signal, `the import finished before it could be killed:\n${killed.stderr}`).toBe('SIGKILL');
    const partial = await credentialsOf(account.id);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(good);

    const rerun = await runCliProcess(['credentials', 'import', input, '--quiet', '--json'], env);
    expect(rerun.code).toBe(1);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ imported: good, failed: 37 });
    expect(await credentialsOf(account.id)).toEqual(reference);
  });
});
