/** Every data command of the real binary: --help answers 0, bad usage answers 2 with a usage line. */
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess } from './live.js';

const COMMANDS = [
  ['credentials'],
  ['credentials', 'list'],
  ['credentials', 'get'],
  ['credentials', 'import'],
  ['credentials', 'export'],
  ['credentials', 'delete'],
  ['oauth-apps'],
  ['oauth-apps', 'list'],
  ['oauth-apps', 'create'],
  ['tokens'],
  ['tokens', 'create'],
  ['tokens', 'list'],
  ['tokens', 'revoke'],
  ['accounts'],
  ['accounts', 'create'],
];

const TOKEN = { CREDVAULT_TOKEN: 'unused-token', CREDVAULT_URL: 'http://127.0.0.1:9' };

describe.concurrent('CLI data commands: help and usage errors', () => {
  beforeAll(() => assertBuilt());

  it.each(COMMANDS.map((c) => [c.join(' '), c] as const))('%s --help exits 0 with its usage', async (_name, cmd) => {
    const run = await runCliProcess([...cmd, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: credvault ${cmd.join(' ')}`);
    if (cmd.length === 2) {
      expect(run.stdout).toContain('--url <url>');
      expect(run.stdout).toContain('CREDVAULT_TOKEN');
    }
  });

  it('import --help says that re-running resumes without duplicates', async () => {
    const run = await runCliProcess(['credentials', 'import', '--help']);
    expect(run.stdout).toMatch(/Re-running is safe: imports are upserts/);
    expect(run.stdout).toContain('--from <format>');
    expect(run.stdout).toContain('--report <file>');
    expect(run.stdout).toContain('--batch-size <n>');
  });

  const BAD: [string, string[], RegExp][] = [
    ['an unknown flag', ['credentials', 'list', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['credentials', 'get'], /missing required argument 'id'/],
    [
      'a missing required option',
      ['tokens', 'create', '--scope', 'credentials:read'],
      /required option '--name <name>' not specified/,
    ],
    ['an invalid choice', ['tokens', 'create', '--name', 'x', '--scope', 'everything'], /Allowed choices are/],
    ['a bad --from', ['credentials', 'import', 'f.jsonl', '--from', 'zapier'], /Allowed choices are credvault, nango/],
    [
      'a bad --batch-size',
      ['credentials', 'import', 'f.jsonl', '--batch-size', '5000'],
      /--batch-size must be an integer from 1 to 1000/,
    ],
    ['a bad --oauth-app', ['credentials', 'import', 'f.jsonl', '--oauth-app', 'nope'], /expected PROVIDER=ID/],
    [
      'an unknown --oauth-app provider',
      ['credentials', 'import', 'f.jsonl', '--oauth-app', 'myspace=1'],
      /unknown provider myspace/,
    ],
    [
      'bad JSON in --metadata',
      [
        'oauth-apps',
        'create',
        '--name',
        'a',
        '--provider',
        'stripe',
        '--client-id',
        'c',
        '--client-secret',
        's',
        '--metadata',
        '[1',
      ],
      /--metadata must be a JSON object/,
    ],
    ['an unknown subcommand', ['credentials', 'frobnicate'], /unknown command 'frobnicate'/],
    ['--json on export without --out', ['credentials', 'export', '--json'], /--json needs --out/],
  ];

  it.each(BAD)('%s exits 2 with a usage line', async (_what, args, message) => {
    const run = await runCliProcess(args, TOKEN);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('(run with --help for usage)');
  });

  it('a missing token is a usage error (2); an unreachable server a failure (1)', async () => {
    const noToken = await runCliProcess(['credentials', 'list']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no API token: pass --token or set CREDVAULT_TOKEN');
    const down = await runCliProcess(['credentials', 'list'], TOKEN);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach credvault at http://127.0.0.1:9');
  });
});
