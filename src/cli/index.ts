import { Command, CommanderError } from 'commander';
import { registerServe } from './commands/serve.js';
import { registerMigrate } from './commands/migrate.js';
import { registerKeys } from './commands/keys.js';
import { registerCredentials } from './commands/credentials.js';
import { registerOAuthApps } from './commands/oauth-apps.js';
import { registerTokens } from './commands/tokens.js';
import { registerAccounts } from './commands/accounts.js';
import { registerWebhooks } from './commands/webhooks.js';
import { registerEvents } from './commands/events.js';

export function buildCli(): Command {
  const program = new Command('credvault')
    .description('Self-hosted vault for third-party API credentials (Sequin Management API compatible).')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerServe(program);
  registerMigrate(program);
  registerKeys(program);
  registerCredentials(program);
  registerOAuthApps(program);
  registerTokens(program);
  registerAccounts(program);
  registerWebhooks(program);
  registerEvents(program);
  return program;
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    console.error(`credvault: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
