import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createRuntime } from '../../main.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run migrations, check the master keys, then serve the HTTP API (configured by environment, see README).')
    .option('--port <port>', 'listen port (overrides PORT)')
    .option('--host <host>', 'listen address (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({ ...process.env, ...(opts.port ? { PORT: opts.port } : {}), ...(opts.host ? { HOST: opts.host } : {}) });
      // Fault injection for crash tests only: CREDVAULT_FAILPOINT=<name> kills the process there.
      const failpointName = process.env.CREDVAULT_FAILPOINT;
      const rt = await createRuntime(config, failpointName ? { failpoint: (name) => name === failpointName && process.kill(process.pid, 'SIGKILL') } : {});
      if (rt.bootstrapToken) {
        process.stdout.write(
          `\nFirst start: created account "default". Its admin API token (shown only once, store it now):\n\n  ${rt.bootstrapToken}\n\n`,
        );
      }
      const address = await rt.app.listen({ port: config.port, host: config.host });
      if (config.scheduler) rt.startBackground();
      // Webhook delivery is its own switch (CREDVAULT_WEBHOOKS): a node without health checks still delivers.
      else if (config.webhooks) rt.deliveries.start();
      rt.log.info({ address, storage: rt.store.kind }, 'credvault listening');
      process.stdout.write(`credvault listening on ${address} (storage: ${rt.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'})\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          rt.log.info('shutting down');
          void rt.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
