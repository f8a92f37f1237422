import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { openRuntimeStore } from '../../store/runtime.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations and exit (serve also does this at start).')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { json?: boolean }) => {
      // The store as serve opens it (the composition root's store part): that step applies the migrations.
      const { store, applied: ran } = await openRuntimeStore(loadConfig(), { poolSize: 2 });
      try {
        if (opts.json) process.stdout.write(`${JSON.stringify({ applied: ran })}\n`);
        else process.stdout.write(ran.length ? `Applied migrations: ${ran.join(', ')}\n` : 'Database is up to date.\n');
      } finally {
        await store.close();
      }
    });
}
