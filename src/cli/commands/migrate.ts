import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { openStore, storeOptions } from '../../store/db.js';
import { migrate } from '../../store/migrate.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations and exit (serve also does this at start).')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const store = await openStore({ ...storeOptions(config), poolSize: 2 });
      try {
        const ran = await migrate(store.db);
        if (opts.json) process.stdout.write(`${JSON.stringify({ applied: ran })}\n`);
        else process.stdout.write(ran.length ? `Applied migrations: ${ran.join(', ')}\n` : 'Database is up to date.\n');
      } finally {
        await store.close();
      }
    });
}
