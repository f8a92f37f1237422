import { type Command, Option } from 'commander';
import { PROVIDER_NAMES as PROVIDERS } from '../../providers/names.js';
import { call, connect, guarded, intOption, printJson, printTable, usageError, withConnection } from '../http.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const IMPORT_HELP = `
Input: one import body per line (JSON Lines), exactly what POST /v1/credentials takes:
  {"name":"Choam Stripe","properties":{"kind":"stripe_key","secret":"sk_live_..."},"metadata":{}}
or a JSON array of such bodies. "-" reads standard input. Blank lines are skipped.

Every line is reported: lines that are not JSON are reported (line number and reason) and
not sent; lines the server refuses are reported with its summary and validation errors; the
import goes on past both. --report writes one JSON line per input line:
  {"line":12,"id":"<credential id>"}  or  {"line":13,"error":{"summary":"...","validation_errors":{...}}}

Re-running is safe: imports are upserts on the provider account, so an interrupted import
(Ctrl-C, a crash, a lost connection) is resumed by running the same command again; nothing
is duplicated.

--from nango reads Nango connection objects (as GET /connection/{connectionId} answers them)
and maps them onto credvault kinds for: salesforce, hubspot, github-app, airtable, linear,
shopify, quickbooks, stripe (API key and Connect), sendgrid, servicenow, auth0-cc. Kinds that
need an OAuth app take it from --oauth-app PROVIDER=ID (credvault provider names, repeatable).
Without --from, --oauth-app replaces oauth_app_id on the lines of that provider. Moving an
export to another account: OAuth app ids belong to the old account, so map every provider whose
lines carry one (stripe too); a line of an unmapped provider keeps the old id and fails.

Exit status: 0 when every line was imported, 1 when any line failed or the import stopped,
2 on a usage error.

Examples:
  credvault credentials import creds.jsonl --report report.jsonl
  credvault credentials export --include-secrets | credvault credentials import - --token "$OTHER"
  credvault credentials import nango.jsonl --from nango --oauth-app salesforce=8ff58ef0-...`;

const EXPORT_HELP = `
Writes one import body per line ({"name","properties","oauth_app_id","metadata"}), which
"credvault credentials import" accepts unchanged.

Without --include-secrets, secret fields are the mask "***********": re-imported into the
same account, a mask means "keep the stored value". With --include-secrets the token needs
the secrets:reveal scope, secrets are written in plaintext (the file is created with mode
0600) and the server records an audit event per credential revealed.

A credential identified by a fingerprint of its own secret (sendgrid_key; stripe_key,
airtable_oauth2 and linear_oauth2 before their account id is known) cannot be found from a
mask: re-importing it masked is reported as an error for that line; export it with
--include-secrets to move it.

Examples:
  credvault credentials export --out backup.jsonl
  credvault credentials export --include-secrets --out full-backup.jsonl`;

/** Registers `credentials` and its data commands; returns it for the others (credentials-actions.ts). */
export function registerCredentials(program: Command): Command {
  const creds = program
    .command('credentials')
    .description('List, read, check, change, import, export and delete credentials on a running credvault.');

  withConnection(creds.command('list'))
    .description('List credentials, newest first.')
    .option('--provider <provider>', 'only this provider (e.g. stripe)')
    .option('--kind <kind>', 'only this kind (e.g. stripe_key)')
    .addOption(new Option('--health <status>', 'only this health status').choices(['pending', 'ok', 'warn', 'error']))
    .option('--metadata <json>', 'only credentials whose metadata contains this JSON object')
    .option('--limit <n>', 'page size (1-500)', '50')
    .option('--cursor <cursor>', 'continue from a next_cursor')
    .option('--all', 'follow next_cursor through every page')
    .option('--json', 'print {"data": [...], "next_cursor": ...} as the API answers it')
    .action(
      async (
        opts: {
          provider?: string;
          kind?: string;
          health?: 'pending' | 'ok' | 'warn' | 'error';
          metadata?: string;
          limit: string;
          cursor?: string;
          all?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const client = connect(cmd);
        const limit = intOption(cmd, '--limit', opts.limit, 1, 500);
        const data = [];
        let cursor = opts.cursor;
        let next: string | null;
        do {
          const query = {
            limit,
            ...(opts.provider ? { provider: opts.provider } : {}),
            ...(opts.kind ? { kind: opts.kind } : {}),
            ...(opts.health ? { 'health.status': opts.health } : {}),
            ...(opts.metadata ? { metadata: opts.metadata } : {}),
            ...(cursor ? { cursor } : {}),
          };
          const page = await call(cmd, client.GET('/v1/credentials', { params: { query } }));
          data.push(...page.data);
          next = page.next_cursor;
          cursor = next ?? undefined;
        } while (opts.all && cursor);
        if (opts.json) return printJson({ data, next_cursor: opts.all ? null : next });
        printTable(
          data.map((c) => ({ ...c, health: c.health.status })),
          ['id', 'kind', 'name', 'health', 'created_at'],
        );
        if (next && !opts.all) process.stderr.write(`more: --cursor ${next} (or --all)\n`);
      },
    );

  withConnection(creds.command('get'))
    .description('Show one credential (secrets masked).')
    .argument('<id>', 'credential id')
    .option('--json', 'print the credential as one JSON line')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const cred = await call(cmd, connect(cmd).GET('/v1/credentials/{id}', { params: { path: { id } } }));
      if (opts.json) return printJson(cred);
      process.stdout.write(`${JSON.stringify(cred, null, 2)}\n`);
    });

  withConnection(creds.command('delete'))
    .description('Delete a credential.')
    .argument('<id>', 'credential id')
    .option('--json', 'print {"id": ..., "deleted": true}')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await call(cmd, connect(cmd).DELETE('/v1/credentials/{id}', { params: { path: { id } } }));
      if (opts.json) return printJson(res);
      process.stdout.write(`deleted ${res.id}\n`);
    });

  withConnection(creds.command('import'))
    .description('Import credentials from JSON Lines (or a JSON array) in batches; safe to re-run.')
    .argument('<file>', 'JSON Lines file, or - for standard input')
    .addOption(new Option('--from <format>', 'input format').choices(['credvault', 'nango']).default('credvault'))
    .addOption(
      new Option('--oauth-app <provider=id>', 'OAuth app for a provider, e.g. salesforce=<id> (repeatable)')
        .argParser(collect)
        .default([], 'none'),
    )
    .option('--batch-size <n>', 'items per request (1-1000)', '500')
    .option('--concurrency <n>', 'requests in flight (1-16)', '2')
    .option('--report <file>', 'write a JSON line per input line: {"line","id"} or {"line","error"}')
    .option('--quiet', 'do not print failed lines on stderr (the report still has them)')
    .option('--json', 'print the summary {"total","imported","failed"} on stdout')
    .addHelpText('after', IMPORT_HELP)
    .action(
      async (
        file: string,
        opts: {
          from: 'credvault' | 'nango';
          oauthApp: string[];
          batchSize: string;
          concurrency: string;
          report?: string;
          quiet?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const client = connect(cmd);
        // Loaded here, not at start: only import needs them (CLI start time, npm run bench -- cli).
        const [{ importFile }, { ImportAborted }, { countRecords }, { parseOAuthAppOptions }, { createProgress }] =
          await Promise.all([
            import('../import/import-file.js'),
            import('../import/importer.js'),
            import('../import/jsonl.js'),
            import('../import/nango.js'),
            import('../progress.js'),
          ]);
        const batchSize = intOption(cmd, '--batch-size', opts.batchSize, 1, 1000);
        const concurrency = intOption(cmd, '--concurrency', opts.concurrency, 1, 16);
        const { apps, errors } = parseOAuthAppOptions(opts.oauthApp, PROVIDERS);
        if (errors.length > 0) usageError(cmd, errors.join('; '));
        let total: number | undefined;
        try {
          total = await countRecords(file);
        } catch (err) {
          throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
        const progress = createProgress({ total, label: 'lines' });
        let summary;
        try {
          summary = await importFile({
            client,
            file,
            from: opts.from,
            oauthApps: apps,
            batchSize,
            concurrency,
            reportPath: opts.report,
            progress,
            echoFailures: !opts.quiet,
          });
        } catch (err) {
          if (err instanceof ImportAborted)
            throw new Error(
              `import stopped: ${err.message}. Lines sent so far are imported; fix the cause and run the same command again (imports are upserts).`,
              { cause: err },
            );
          throw err;
        }
        if (opts.json)
          printJson({
            total: summary.done,
            imported: summary.imported,
            failed: summary.failed,
            ...(opts.report ? { report: opts.report } : {}),
          });
        process.stderr.write(
          `${summary.imported} of ${summary.done} lines imported, ${summary.failed} failed${summary.failed && opts.report ? ` (see ${opts.report})` : ''}\n`,
        );
        if (summary.failed > 0) process.exitCode = 1;
      },
    );

  withConnection(creds.command('export'))
    .description('Write every credential as JSON Lines of import bodies (secrets masked unless --include-secrets).')
    .option('--include-secrets', 'write secrets in plaintext (needs the secrets:reveal scope; audited)')
    .option('--out <file>', 'write to this file (mode 0600) instead of standard output; an existing file is refused')
    .option('--force', 'with --out: replace the file if it exists')
    .option('--page-size <n>', 'credentials per request (1-500)', '200')
    .option('--json', 'print the summary {"exported": n} on stdout (requires --out)')
    .addHelpText('after', EXPORT_HELP)
    .action(
      async (
        opts: { includeSecrets?: boolean; out?: string; force?: boolean; pageSize: string; json?: boolean },
        cmd: Command,
      ) => {
        const client = connect(cmd);
        const { exportCredentials } = await import('../import/export-file.js');
        const pageSize = intOption(cmd, '--page-size', opts.pageSize, 1, 500);
        if (opts.json && !opts.out)
          usageError(cmd, '--json needs --out (the credentials go to standard output otherwise)');
        const count = await guarded(
          cmd,
          exportCredentials({
            client,
            includeSecrets: opts.includeSecrets === true,
            out: opts.out,
            overwrite: opts.force === true,
            pageSize,
          }),
        );
        if (opts.json) printJson({ exported: count, out: opts.out });
        process.stderr.write(`exported ${count} credential(s)${opts.out ? ` to ${opts.out}` : ''}\n`);
      },
    );
  return creds;
}
