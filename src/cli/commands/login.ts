/** `credvault login` and `credvault whoami`: the CLI's stored connection (config-file.ts). */
import { type Command, Option } from 'commander';
import { createNodeClient } from '../node-client.js';
import { configPath, writeConfig } from '../config-file.js';
import { DEFAULT_URL, call, connect, connection, printJson, readStdin, usageError, withConnection } from '../http.js';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Store the server URL and an API token in a 0600 config file, after checking them.')
    .addOption(new Option('--url <url>', 'base URL of the credvault server').env('CREDVAULT_URL').default(DEFAULT_URL))
    .addOption(
      new Option('--token <token>', 'API token, or - to read it from standard input (keeps it out of ps)').env(
        'CREDVAULT_TOKEN',
      ),
    )
    .option('--json', 'print {"url", "account", "config"}')
    .addHelpText(
      'after',
      `
The file is $CREDVAULT_CONFIG, else $XDG_CONFIG_HOME/credvault/config.json (~/.config/credvault/config.json).
Later commands use it when --url/--token and CREDVAULT_URL/CREDVAULT_TOKEN are not given.

Example:
  printf %s "$TOKEN" | credvault login --url https://vault.internal:8080 --token -`,
    )
    .action(async (opts: { url: string; token?: string; json?: boolean }, cmd: Command) => {
      const token = opts.token === '-' ? await readStdin() : opts.token;
      if (!token)
        usageError(cmd, 'no API token: pass --token - (standard input), --token <token> or set CREDVAULT_TOKEN');
      try {
        new URL(opts.url);
      } catch {
        usageError(cmd, `--url ${opts.url} is not a URL (e.g. ${DEFAULT_URL})`);
      }
      const client = createNodeClient({ url: opts.url, token, headers: { 'user-agent': 'credvault-cli' } });
      const account = await call(cmd, client.GET('/v1/accounts/me'));
      const path = configPath();
      writeConfig({ url: opts.url, token }, path);
      if (opts.json) return printJson({ url: opts.url, account, config: path });
      process.stderr.write(`logged in to ${opts.url} as account ${account.name} (${account.id}); saved in ${path}\n`);
    });
}

export function registerWhoami(program: Command): void {
  withConnection(program.command('whoami'))
    .description('Show the server, account and token the CLI uses.')
    .option('--json', 'print {"url", "account", "token_prefix"}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { url, token } = connection(cmd);
      const account = await call(cmd, connect(cmd).GET('/v1/accounts/me'));
      // The token's public prefix only (cv_live_ and a few characters), never the token.
      const prefix = (token ?? '').slice(0, 12);
      if (opts.json) return printJson({ url, account, token_prefix: prefix });
      process.stdout.write(`${url}\naccount ${account.name} (${account.id})\ntoken ${prefix}…\n`);
    });
}
