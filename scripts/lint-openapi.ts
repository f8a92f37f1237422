/**
 * Lints the OpenAPI document the app serves with Redocly (`recommended` rules) and Spectral
 * (`spectral:oas`); part of `npm run lint`, so CI runs it. Any error or warning fails.
 * Offline: the document is built in-process (scripts/generate-client.ts), both rulesets ship
 * with the packages, and Redocly's telemetry and update check are switched off.
 *
 *   npm run lint:openapi
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './generate-client.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'node_modules', '.bin');

export interface LintCounts {
  redocly: { errors: number; warnings: number };
  spectral: { errors: number; warnings: number };
  /** The problems, one line each (empty when clean). */
  lines: string[];
  /** Redocly findings accepted by name (ACCEPTED), not counted above. */
  accepted: number;
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Findings accepted by name, each with why. Connect's provider callback and key form are
 * browser pages whose success is a 302 to the flow's redirect_url (docs/api.md "Connect pages"):
 * they have no 2XX answer to declare, and declaring one would make the document lie.
 */
const ACCEPTED: ReadonlyArray<{ ruleId: string; pointer: string }> = [
  { ruleId: 'operation-2xx-response', pointer: '#/paths/~1link~1oauth2~1callback~1{provider}/get/responses' },
  { ruleId: 'operation-2xx-response', pointer: '#/paths/~1link~1oauth2~1form~1{id}/post/responses' },
];

interface RedoclyReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}
interface SpectralProblem {
  code: string;
  severity: number;
  message: string;
  path: string[];
}

export async function lintOpenApi(): Promise<LintCounts> {
  const dir = await mkdtemp(join(tmpdir(), 'credvault-openapi-'));
  const file = join(dir, 'openapi.json');
  try {
    await writeFile(file, JSON.stringify(await openApiDocument(), null, 2));
    const [redocly, spectral] = await Promise.all([
      run(join(BIN, 'redocly'), ['lint', file, '--extends', 'recommended', '--format', 'json']),
      run(join(BIN, 'spectral'), [
        'lint',
        file,
        '--ruleset',
        join(ROOT, '.spectral.yaml'),
        '--format',
        'json',
        '--quiet',
      ]),
    ]);
    const r = JSON.parse(redocly.stdout.slice(redocly.stdout.indexOf('{'))) as RedoclyReport;
    const accepted = r.problems.filter((p) =>
      ACCEPTED.some((a) => a.ruleId === p.ruleId && a.pointer === p.location[0]?.pointer),
    );
    r.problems = r.problems.filter((p) => !accepted.includes(p));
    for (const p of accepted) r.totals[p.severity === 'error' ? 'errors' : 'warnings'] -= 1;
    const start = spectral.stdout.indexOf('[');
    if (start < 0) throw new Error(`spectral failed: ${spectral.stderr || spectral.stdout}`);
    const s = JSON.parse(spectral.stdout.slice(start)) as SpectralProblem[];
    const lines = [
      ...r.problems.map((p) => `redocly ${p.severity} ${p.ruleId}: ${p.message} (${p.location[0]?.pointer ?? ''})`),
      ...s.map(
        (p) => `spectral ${p.severity === 0 ? 'error' : 'warning'} ${p.code}: ${p.message} (${p.path.join('.')})`,
      ),
    ];
    return {
      redocly: { errors: r.totals.errors, warnings: r.totals.warnings },
      spectral: {
        errors: s.filter((p) => p.severity === 0).length,
        warnings: s.filter((p) => p.severity === 1).length,
      },
      lines,
      accepted: accepted.length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const c = await lintOpenApi();
  for (const line of c.lines) process.stderr.write(`${line}\n`);
  process.stdout.write(
    `OpenAPI lint: Redocly recommended ${c.redocly.errors} errors, ${c.redocly.warnings} warnings; Spectral spectral:oas ${c.spectral.errors} errors, ${c.spectral.warnings} warnings${c.accepted ? ` (${c.accepted} Redocly findings accepted by name: Connect's redirect-only pages)` : ''}\n`,
  );
  return c.lines.length === 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
