import { Command, CommanderError } from 'commander';

/**
 * The top-level commands. Only the one being run is loaded (its module may pull in the
 * server, the database drivers or zod); the others appear in `credvault --help` from this
 * table, so help and HTTP commands start without loading them (npm run bench -- cli).
 */
const COMMANDS: Record<string, { description: string; load: () => Promise<(program: Command) => void> }> = {
  serve: {
    description:
      'Run migrations, check the master keys, then serve the HTTP API (configured by environment, see README).',
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  migrate: {
    description: 'Apply pending database migrations and exit (serve also does this at start).',
    load: async () => (await import('./commands/migrate.js')).registerMigrate,
  },
  keys: {
    description: 'Generate, promote, inspect, rewrap and retire master keys.',
    load: async () => {
      // keys promote / keys nodes (commands/keys-promote.ts): the database's primary key, which serve seals with.
      const [{ registerKeys }, { registerKeyPromotion }] = await Promise.all([
        import('./commands/keys.js'),
        import('./commands/keys-promote.js'),
      ]);
      return (program) => {
        registerKeys(program);
        registerKeyPromotion(program);
      };
    },
  },
  login: {
    description: 'Store the server URL and an API token in a 0600 config file, after checking them.',
    load: async () => (await import('./commands/login.js')).registerLogin,
  },
  whoami: {
    description: 'Show the server, account and token the CLI uses.',
    load: async () => (await import('./commands/login.js')).registerWhoami,
  },
  credentials: {
    description: 'List, read, check, change, import, export and delete credentials on a running credvault.',
    load: async () => {
      const [{ registerCredentials }, { registerCredentialActions }] = await Promise.all([
        import('./commands/credentials.js'),
        import('./commands/credentials-actions.js'),
      ]);
      return (program) => registerCredentialActions(registerCredentials(program));
    },
  },
  'oauth-apps': {
    description: 'List, create, change and delete OAuth apps on a running credvault.',
    load: async () => {
      const [{ registerOAuthApps }, { registerOAuthAppActions }] = await Promise.all([
        import('./commands/oauth-apps.js'),
        import('./commands/oauth-apps-actions.js'),
      ]);
      return (program) => registerOAuthAppActions(registerOAuthApps(program));
    },
  },
  audit: {
    description: 'List the audit events of the account.',
    load: async () => (await import('./commands/audit.js')).registerAudit,
  },
  tokens: {
    description: 'Create, list and revoke API tokens (needs the tokens:manage scope).',
    load: async () => (await import('./commands/tokens.js')).registerTokens,
  },
  accounts: {
    description: 'Administer accounts (needs an admin token).',
    load: async () => (await import('./commands/accounts.js')).registerAccounts,
  },
  webhooks: {
    description: 'Webhook endpoints of a running credvault (needs an admin token).',
    load: async () => (await import('./commands/webhooks.js')).registerWebhooks,
  },
  events: {
    description: 'Events of a running credvault.',
    load: async () => (await import('./commands/events.js')).registerEvents,
  },
};

/** The CLI with `only` fully loaded (every command when undefined) and the others as help entries. */
export async function buildCli(only?: string): Promise<Command> {
  const program = new Command('credvault')
    .description('Self-hosted vault for third-party API credentials (Sequin Management API compatible).')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (only === undefined || only === name) (await c.load())(program);
    else program.command(name).description(c.description);
  }
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[]): Promise<number> {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  const program = await buildCli(first !== undefined && first in COMMANDS ? first : '');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return 2;
    }
    console.error(`credvault: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
