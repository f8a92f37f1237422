import { type Command, Option } from 'commander';
import { SCOPES } from '../../accounts/tokens.js';
import { call, connect, printJson, printTable, withConnection } from '../http.js';

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('Create, list and revoke API tokens (needs the tokens:manage scope).');

  withConnection(tokens.command('create'))
    .description('Create an API token; its plaintext is printed once, on standard output.')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--scope <scope...>', 'scopes (no wider than the calling token\'s)').choices([...SCOPES]).makeOptionMandatory())
    .option('--json', 'print the token object as JSON (with the plaintext token)')
    .addHelpText('after', `
Example:
  credvault tokens create --name ci-import --scope credentials:read credentials:write`)
    .action(async (opts: { name: string; scope: (typeof SCOPES)[number][]; json?: boolean }, cmd: Command) => {
      const created = await call(cmd, connect(cmd).POST('/v1/api-tokens', { body: { name: opts.name, scopes: opts.scope } }));
      if (opts.json) return printJson(created);
      process.stderr.write(`token ${created.id} (${created.scopes.join(', ')}); shown only now:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  withConnection(tokens.command('list'))
    .description('List API tokens (never their plaintext).')
    .option('--json', 'print {"data": [...], "next_cursor": ...}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = connect(cmd);
      const data = [];
      let cursor: string | undefined;
      do {
        const page = await call(cmd, client.GET('/v1/api-tokens', { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } }));
        data.push(...page.data);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      if (opts.json) return printJson({ data, next_cursor: null });
      printTable(data.map((t) => ({ ...t, scopes: t.scopes.join(',') })), ['id', 'name', 'prefix', 'scopes', 'created_at']);
    });

  withConnection(tokens.command('revoke'))
    .description('Revoke an API token at once.')
    .argument('<id>', 'token id')
    .option('--json', 'print {"id": ..., "revoked": true}')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await call(cmd, connect(cmd).DELETE('/v1/api-tokens/{id}', { params: { path: { id } } }));
      if (opts.json) return printJson(res);
      process.stdout.write(`revoked ${res.id}\n`);
    });
}
