import type { Command } from 'commander';
import { call, connect, intOption, printJson, usageError, withConnection } from '../http.js';

/** How far back each poll looks again: a transaction that took its event id earlier may commit later. */
const OVERLAP_MS = 5000;

export function registerEvents(program: Command): void {
  const events = program.command('events').description('Events of a running credvault.');

  withConnection(events.command('tail'))
    .description('Print events as they happen, one JSON object per line, oldest first.')
    .option('--since <time>', 'start from this ISO 8601 time (default: now)')
    .option('--type <type>', 'only this type, or a prefix such as credential.*')
    .option('--interval <ms>', 'poll interval in milliseconds', '1000')
    .option('--no-follow', 'print what exists and stop')
    .action(async (opts: { since?: string; type?: string; interval: string; follow: boolean }, cmd: Command) => {
      if (opts.since !== undefined && Number.isNaN(Date.parse(opts.since)))
        usageError(cmd, '--since must be an ISO 8601 time');
      const interval = intOption(cmd, '--interval', opts.interval, 100, 600_000);
      const client = connect(cmd);
      let since = opts.since ? new Date(opts.since) : new Date();
      const seen = new Set<string>();
      for (;;) {
        let cursor: string | undefined;
        do {
          const query = {
            since: new Date(since.getTime() - OVERLAP_MS).toISOString(),
            limit: 500,
            ...(opts.type ? { type: opts.type } : {}),
            ...(cursor ? { cursor } : {}),
          };
          const page = await call(cmd, client.GET('/v1/events', { params: { query } }));
          for (const e of page.data) {
            if (seen.has(e.id)) continue;
            seen.add(e.id);
            printJson(e);
            const at = new Date(e.created_at);
            if (at > since) since = at;
          }
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        if (!opts.follow) return;
        // Forget ids older than the overlap window: they cannot come back.
        if (seen.size > 100_000) seen.clear();
        await new Promise((r) => setTimeout(r, interval));
      }
    });
}
