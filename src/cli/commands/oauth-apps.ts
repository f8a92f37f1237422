import { type Command, Option } from 'commander';
import { PROVIDER_NAMES as PROVIDERS } from '../../providers/names.js';
import {
  call,
  connect,
  jsonObjectOption,
  printJson,
  printTable,
  readStdin,
  usageError,
  withConnection,
} from '../http.js';

/** Registers `oauth-apps` and list/create; returns it for update/delete (oauth-apps-actions.ts). */
export function registerOAuthApps(program: Command): Command {
  const apps = program
    .command('oauth-apps')
    .description('List, create, change and delete OAuth apps on a running credvault.');

  withConnection(apps.command('list'))
    .description('List OAuth apps, newest first (client secrets masked).')
    .addOption(new Option('--provider <provider>', 'only this provider').choices([...PROVIDERS]))
    .option('--all', 'follow next_cursor through every page')
    .option('--json', 'print {"data": [...], "next_cursor": ...}')
    .action(async (opts: { provider?: (typeof PROVIDERS)[number]; all?: boolean; json?: boolean }, cmd: Command) => {
      const client = connect(cmd);
      const data = [];
      let cursor: string | undefined;
      let next: string | null;
      do {
        const query = {
          limit: 500,
          ...(opts.provider ? { provider: opts.provider } : {}),
          ...(cursor ? { cursor } : {}),
        };
        const page = await call(cmd, client.GET('/v1/oauth-apps', { params: { query } }));
        data.push(...page.data);
        next = page.next_cursor;
        cursor = next ?? undefined;
      } while (opts.all && cursor);
      if (opts.json) return printJson({ data, next_cursor: opts.all ? null : next });
      printTable(data, ['id', 'provider', 'name', 'client_id', 'created_at']);
    });

  withConnection(apps.command('create'))
    .description('Create an OAuth app (the client secret is encrypted at rest).')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--provider <provider>', 'provider').choices([...PROVIDERS]).makeOptionMandatory())
    .requiredOption('--client-id <id>', 'OAuth client id')
    .requiredOption(
      '--client-secret <secret>',
      'OAuth client secret, or - to read it from standard input (keeps it out of ps)',
    )
    .option('--settings <json>', "provider settings as a JSON object (e.g. a GitHub App's app_id and private_key)")
    .option('--metadata <json>', 'metadata as a JSON object')
    .option('--json', 'print the created app as JSON')
    .addHelpText(
      'after',
      `
Example:
  printf %s "$SECRET" | credvault oauth-apps create --name "Acme Salesforce" --provider salesforce --client-id 3MVG9... --client-secret -`,
    )
    .action(
      async (
        opts: {
          name: string;
          provider: (typeof PROVIDERS)[number];
          clientId: string;
          clientSecret: string;
          settings?: string;
          metadata?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const client = connect(cmd);
        const settings = jsonObjectOption(cmd, '--settings', opts.settings);
        const metadata = jsonObjectOption(cmd, '--metadata', opts.metadata);
        const secret = opts.clientSecret === '-' ? await readStdin() : opts.clientSecret;
        if (secret === '') usageError(cmd, 'the client secret is empty');
        const body = {
          name: opts.name,
          provider: opts.provider,
          client_id: opts.clientId,
          client_secret: secret,
          ...(metadata ? { metadata } : {}),
          ...(settings ? { settings: settings as Record<string, string | number | boolean | null> } : {}),
        };
        const created = await call(cmd, client.POST('/v1/oauth-apps', { body }));
        if (opts.json) return printJson(created);
        process.stdout.write(`${created.id}\n`);
      },
    );
  return apps;
}
