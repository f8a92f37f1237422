import type { Command } from 'commander';
import { call, connect, intOption, printJson, printTable, usageError, withConnection } from '../http.js';

export function registerWebhooks(program: Command): void {
  const hooks = program
    .command('webhooks')
    .description('Webhook endpoints of a running credvault (needs an admin token).');

  withConnection(hooks.command('list'))
    .description('List webhook endpoints, newest first (never their secrets).')
    .option('--json', 'print {"data": [...], "next_cursor": ...}')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const page = await call(cmd, connect(cmd).GET('/v1/webhook-endpoints', { params: { query: { limit: 500 } } }));
      if (opts.json) return printJson(page);
      printTable(page.data, ['id', 'url', 'enabled', 'event_types', 'disabled_reason', 'created_at']);
    });

  withConnection(hooks.command('create'))
    .description('Create a webhook endpoint; prints its signing secret, shown only this once.')
    .argument('<endpoint-url>', 'https URL of the receiver (or an origin in CREDVAULT_WEBHOOK_ALLOWED_ORIGINS)')
    .option('--description <text>', 'what the endpoint is for')
    .option('--event-types <list>', 'comma-separated types or prefix.* filters (default: every type)')
    .option('--disabled', 'create it disabled')
    .option('--json', 'print the endpoint (with its secret) as JSON')
    .addHelpText(
      'after',
      `
Example:
  credvault webhooks create https://hooks.example.com/credvault --event-types 'credential.*'`,
    )
    .action(
      async (
        endpointUrl: string,
        opts: { description?: string; eventTypes?: string; disabled?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const types = opts.eventTypes
          ?.split(',')
          .map((t) => t.trim())
          .filter((t) => t.length > 0);
        const body = {
          url: endpointUrl,
          ...(opts.description ? { description: opts.description } : {}),
          ...(types ? { event_types: types } : {}),
          ...(opts.disabled ? { enabled: false } : {}),
        };
        const created = await call(cmd, connect(cmd).POST('/v1/webhook-endpoints', { body }));
        if (opts.json) return printJson(created);
        process.stdout.write(
          `${created.id}\nsigning secret (shown once; verify deliveries with it): ${created.secret}\n`,
        );
      },
    );

  withConnection(hooks.command('delete'))
    .description('Delete a webhook endpoint.')
    .argument('<id>', 'endpoint id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      await call(cmd, connect(cmd).DELETE('/v1/webhook-endpoints/{id}', { params: { path: { id } } }));
      process.stdout.write(`deleted ${id}\n`);
    });

  withConnection(hooks.command('deliveries'))
    .description('Delivery attempts to an endpoint, newest first.')
    .argument('<id>', 'endpoint id')
    .option('--status <status>', 'succeeded or failed')
    .option('--limit <n>', 'how many (1-500)', '50')
    .option('--json', 'print {"data": [...], "next_cursor": ...}')
    .action(async (id: string, opts: { status?: string; limit: string; json?: boolean }, cmd: Command) => {
      if (opts.status !== undefined && opts.status !== 'succeeded' && opts.status !== 'failed')
        usageError(cmd, '--status must be succeeded or failed');
      const status: 'succeeded' | 'failed' | undefined =
        opts.status === 'succeeded' || opts.status === 'failed' ? opts.status : undefined;
      const query = { limit: intOption(cmd, '--limit', opts.limit, 1, 500), ...(status ? { status } : {}) };
      const page = await call(
        cmd,
        connect(cmd).GET('/v1/webhook-endpoints/{id}/deliveries', { params: { path: { id }, query } }),
      );
      if (opts.json) return printJson(page);
      printTable(page.data, ['attempted_at', 'event_type', 'event_id', 'status_code', 'duration_ms', 'error']);
    });

  withConnection(hooks.command('replay'))
    .description('Queue again every retained event since a time that the endpoint subscribes to.')
    .argument('<id>', 'endpoint id')
    .requiredOption('--since <time>', 'ISO 8601 time, e.g. 2026-01-31T00:00:00Z')
    .action(async (id: string, opts: { since: string }, cmd: Command) => {
      if (Number.isNaN(Date.parse(opts.since)))
        usageError(cmd, '--since must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z');
      const res = await call(
        cmd,
        connect(cmd).POST('/v1/webhook-endpoints/{id}/replay', {
          params: { path: { id } },
          body: { since: opts.since },
        }),
      );
      process.stdout.write(`queued ${res.queued} event(s)\n`);
    });
}
