/** `oauth-apps update | delete`, on a running credvault. */
import type { Command } from 'commander';
import { call, connect, jsonObjectOption, printJson, readStdin, usageError, withConnection } from '../http.js';

export function registerOAuthAppActions(apps: Command): void {
  withConnection(apps.command('update'))
    .description('Change an OAuth app: name, client secret, settings or metadata.')
    .argument('<id>', 'OAuth app id')
    .option('--name <name>', 'display name')
    .option('--client-secret <secret>', 'new client secret, or - to read it from standard input (keeps it out of ps)')
    .option('--settings <json>', 'replace the provider settings with this JSON object')
    .option('--metadata <json>', 'replace the metadata with this JSON object')
    .option('--json', 'print the app as JSON')
    .action(
      async (
        id: string,
        opts: { name?: string; clientSecret?: string; settings?: string; metadata?: string; json?: boolean },
        cmd: Command,
      ) => {
        const settings = jsonObjectOption(cmd, '--settings', opts.settings);
        const metadata = jsonObjectOption(cmd, '--metadata', opts.metadata);
        const secret = opts.clientSecret === '-' ? await readStdin() : opts.clientSecret;
        if (secret === '') usageError(cmd, 'the client secret is empty');
        const body = {
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(secret !== undefined ? { client_secret: secret } : {}),
          ...(settings ? { settings: settings as Record<string, string | number | boolean | null> } : {}),
          ...(metadata ? { metadata } : {}),
        };
        if (Object.keys(body).length === 0)
          usageError(cmd, 'nothing to change: pass --name, --client-secret, --settings or --metadata');
        const app = await call(cmd, connect(cmd).PATCH('/v1/oauth-apps/{id}', { params: { path: { id } }, body }));
        if (opts.json) return printJson(app);
        process.stdout.write(`${app.id} updated\n`);
      },
    );

  withConnection(apps.command('delete'))
    .description('Delete an OAuth app (refused while credentials use it).')
    .argument('<id>', 'OAuth app id')
    .option('--json', 'print {"id": ..., "deleted": true}')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const res = await call(cmd, connect(cmd).DELETE('/v1/oauth-apps/{id}', { params: { path: { id } } }));
      if (opts.json) return printJson(res);
      process.stdout.write(`deleted ${res.id}\n`);
    });
}
