/** `credentials check | access-token | rename | update`: one credential, on a running credvault. */
import type { Command } from 'commander';
import { call, connect, jsonObjectOption, printJson, usageError, withConnection } from '../http.js';

export function registerCredentialActions(creds: Command): void {
  withConnection(creds.command('check'))
    .description('Check a credential against its provider now (refreshing first when due) and print its health.')
    .argument('<id>', 'credential id')
    .option('--json', 'print the credential as one JSON line')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const cred = await call(cmd, connect(cmd).POST('/v1/credentials/{id}/check', { params: { path: { id } } }));
      if (opts.json) return printJson(cred);
      process.stdout.write(`${cred.health.status}${cred.health.reason ? ` (${cred.health.reason})` : ''}\n`);
      for (const note of cred.health.notes) process.stdout.write(`  ${note}\n`);
      if (cred.health.status === 'error') process.exitCode = 1;
    });

  withConnection(creds.command('access-token'))
    .description(
      'Print a valid access token of a credential (refreshed first when needed; needs secrets:reveal; audited).',
    )
    .argument('<id>', 'credential id')
    .option('--json', 'print {"credential_id", "access_token", "token_type", "expires_at"}')
    .addHelpText(
      'after',
      `
Example:
  curl -H "Authorization: Bearer $(credvault credentials access-token $ID)" https://api.hubapi.com/...`,
    )
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const t = await call(cmd, connect(cmd).POST('/v1/credentials/{id}/access-token', { params: { path: { id } } }));
      if (opts.json) return printJson(t);
      process.stdout.write(`${t.access_token}\n`);
    });

  withConnection(creds.command('rename'))
    .description('Rename a credential.')
    .argument('<id>', 'credential id')
    .argument('<name>', 'the new name ("" clears it)')
    .option('--json', 'print the credential as one JSON line')
    .action(async (id: string, name: string, opts: { json?: boolean }, cmd: Command) => {
      const cred = await call(
        cmd,
        connect(cmd).PATCH('/v1/credentials/{id}', {
          params: { path: { id } },
          body: { name: name === '' ? null : name },
        }),
      );
      if (opts.json) return printJson(cred);
      process.stdout.write(`${cred.id} ${cred.name ?? '-'}\n`);
    });

  withConnection(creds.command('update'))
    .description('Change the name or metadata of a credential (its properties change by importing again).')
    .argument('<id>', 'credential id')
    .option('--name <name>', 'the new name ("" clears it)')
    .option('--metadata <json>', 'replace the metadata with this JSON object')
    .option(
      '--if-match <etag>',
      'change it only if it is still at this version (the ETag of credentials get), else fail',
    )
    .option('--json', 'print the credential as one JSON line')
    .action(
      async (
        id: string,
        opts: { name?: string; metadata?: string; ifMatch?: string; json?: boolean },
        cmd: Command,
      ) => {
        const metadata = jsonObjectOption(cmd, '--metadata', opts.metadata);
        if (opts.name === undefined && metadata === undefined)
          usageError(cmd, 'nothing to change: pass --name and/or --metadata');
        const body = {
          ...(opts.name !== undefined ? { name: opts.name === '' ? null : opts.name } : {}),
          ...(metadata ? { metadata } : {}),
        };
        const cred = await call(
          cmd,
          connect(cmd).PATCH('/v1/credentials/{id}', {
            params: { path: { id } },
            body,
            ...(opts.ifMatch ? { headers: { 'if-match': opts.ifMatch } } : {}),
          }),
        );
        if (opts.json) return printJson(cred);
        process.stdout.write(`${cred.id} updated\n`);
      },
    );
}
