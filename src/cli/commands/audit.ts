/** `audit list`: the account's audit events, newest first (never secret values). */
import type { Command } from 'commander';
import { call, connect, intOption, printJson, printTable, withConnection } from '../http.js';

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('List the audit events of the account.');
  withConnection(audit.command('list'))
    .description('List audit events, newest first.')
    .option('--limit <n>', 'page size (1-500)', '50')
    .option('--cursor <cursor>', 'continue from a next_cursor')
    .option('--all', 'follow next_cursor through every page')
    .option('--json', 'print {"data": [...], "next_cursor": ...} as the API answers it')
    .action(async (opts: { limit: string; cursor?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      const client = connect(cmd);
      const limit = intOption(cmd, '--limit', opts.limit, 1, 500);
      const data = [];
      let cursor = opts.cursor;
      let next: string | null;
      do {
        const page = await call(
          cmd,
          client.GET('/v1/audit-events', { params: { query: { limit, ...(cursor ? { cursor } : {}) } } }),
        );
        data.push(...page.data);
        next = page.next_cursor;
        cursor = next ?? undefined;
      } while (opts.all && cursor);
      if (opts.json) return printJson({ data, next_cursor: opts.all ? null : next });
      printTable(
        data.map((e) => ({ ...e, subject: e.credential_id ?? e.oauth_app_id })),
        ['created_at', 'action', 'subject', 'actor_token_id'],
      );
      if (next && !opts.all) process.stderr.write(`more: --cursor ${next} (or --all)\n`);
    });
}
