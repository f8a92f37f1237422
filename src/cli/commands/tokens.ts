import { type Command, Option } from 'commander';
import { createAccountService } from '../../accounts/service.js';
import { SCOPES } from '../../accounts/tokens.js';
import { createAuditService } from '../../audit/service.js';
import { loadConfig } from '../../config.js';
import { systemClock } from '../../lib/clock.js';
import { openRuntimeStore } from '../../store/runtime.js';
import { call, connect, printJson, printTable, withConnection } from '../http.js';

/** `tokens bootstrap`: works on the database itself (like `keys`), for an operator locked out of the API. */
async function mintRecoveryToken(opts: { account?: string; json?: boolean }): Promise<void> {
  const { store } = await openRuntimeStore(loadConfig(), { poolSize: 2 });
  try {
    const { db } = store;
    const audit = createAuditService({ db, clock: systemClock });
    // Audited in the token's transaction (`api_token.created`, via tokens bootstrap).
    const t = await createAccountService({ db, clock: systemClock, audit, authCacheMs: 0 }).mintAdminToken(
      opts.account,
    );
    if (opts.json)
      return printJson({
        id: t.id,
        account_id: t.accountId,
        name: t.name,
        prefix: t.prefix,
        scopes: t.scopes,
        token: t.token,
      });
    process.stderr.write(`admin token ${t.id} in account ${t.accountId} (${t.scopes.join(', ')}); shown only now:\n`);
    process.stdout.write(`${t.token}\n`);
  } finally {
    await store.close();
  }
}

export function registerTokens(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('Create, list and revoke API tokens (needs the tokens:manage scope).');

  withConnection(tokens.command('create'))
    .description('Create an API token; its plaintext is printed once, on standard output.')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(
      new Option('--scope <scope...>', "scopes (no wider than the calling token's)")
        .choices([...SCOPES])
        .makeOptionMandatory(),
    )
    .option('--json', 'print the token object as JSON (with the plaintext token)')
    .addHelpText(
      'after',
      `
Example:
  credvault tokens create --name ci-import --scope credentials:read credentials:write`,
    )
    .action(async (opts: { name: string; scope: (typeof SCOPES)[number][]; json?: boolean }, cmd: Command) => {
      const created = await call(
        cmd,
        connect(cmd).POST('/v1/api-tokens', { body: { name: opts.name, scopes: opts.scope } }),
      );
      if (opts.json) return printJson(created);
      process.stderr.write(`token ${created.id} (${created.scopes.join(', ')}); shown only now:\n`);
      process.stdout.write(`${created.token}\n`);
    });

  tokens
    .command('bootstrap')
    .description(
      'Offline recovery: mint an admin (all-scope) token directly in the database, e.g. when the bootstrap token is lost.',
    )
    .option('--account <id>', 'account to mint it in (default: the oldest account, the one the first start created)')
    .option('--json', 'print the token object as JSON (with the plaintext token)')
    .addHelpText(
      'after',
      `
Runs on the database configured by the environment (DATABASE_URL or CREDVAULT_DATA_DIR), not over
HTTP. On the embedded database (PGlite) stop the server first: only one process can open it.
Revoke the token (credvault tokens revoke ID) once you have made the tokens you need.`,
    )
    .action((opts: { account?: string; json?: boolean }) => mintRecoveryToken(opts));

  withConnection(tokens.command('list'))
    .description('List API tokens (never their plaintext).')
    .option('--json', 'print {"data": [...], "next_cursor": ...}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const client = connect(cmd);
      const data = [];
      let cursor: string | undefined;
      do {
        const page = await call(
          cmd,
          client.GET('/v1/api-tokens', { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } }),
        );
        data.push(...page.data);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      if (opts.json) return printJson({ data, next_cursor: null });
      printTable(
        data.map((t) => ({ ...t, scopes: t.scopes.join(',') })),
        ['id', 'name', 'prefix', 'scopes', 'created_at'],
      );
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
