import type { Command } from 'commander';
import { call, connect, printJson, withConnection } from '../http.js';

export function registerAccounts(program: Command): void {
  const accounts = program.command('accounts').description('Administer accounts (needs an admin token).');

  withConnection(accounts.command('create'))
    .description('Create an account and its first API token (every scope but admin); the token is printed once.')
    .requiredOption('--name <name>', 'account name')
    .option('--json', 'print {"id", "name", "created_at", "token": {...}} with the plaintext token')
    .action(async (opts: { name: string; json?: boolean }, cmd: Command) => {
      const created = await call(cmd, connect(cmd).POST('/v1/accounts', { body: { name: opts.name } }));
      if (opts.json) return printJson(created);
      process.stderr.write(`account ${created.id} (${created.name}); its API token, shown only now:\n`);
      process.stdout.write(`${created.token.token}\n`);
    });
}
