import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { createRuntime } from '../../main.js';

/** Listening failed: a message that says what to do (EADDRINUSE is the common one). */
function listenFailure(err: unknown, host: string, port: number): Error {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  if (code === 'EADDRINUSE')
    return new Error(
      `cannot listen on ${host}:${port}: the port is already in use (EADDRINUSE). Stop the other process or set PORT (or --port).`,
    );
  if (code === 'EACCES')
    return new Error(
      `cannot listen on ${host}:${port}: permission denied (EACCES). Use a port above 1023 or set PORT.`,
    );
  if (code === 'EADDRNOTAVAIL')
    return new Error(`cannot listen on ${host}:${port}: no such local address (EADDRNOTAVAIL). Check HOST.`);
  return new Error(`cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Run migrations, check the master keys, then serve the HTTP API (configured by environment, see README).',
    )
    .option('--port <port>', 'listen port (overrides PORT)')
    .option('--host <host>', 'listen address (overrides HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      const config = loadConfig({
        ...process.env,
        ...(opts.port ? { PORT: opts.port } : {}),
        ...(opts.host ? { HOST: opts.host } : {}),
      });
      // Fault injection for crash tests only: CREDVAULT_FAILPOINT=<name> kills the process there.
      const failpointName = process.env.CREDVAULT_FAILPOINT;
      const rt = await createRuntime(
        config,
        failpointName ? { failpoint: (name) => name === failpointName && process.kill(process.pid, 'SIGKILL') } : {},
      );
      // stdout carries only JSON log lines (log shippers keep them): the token, once, goes to
      // stderr as plain text, and is never logged.
      if (rt.bootstrapToken) {
        process.stderr.write(
          `\nFirst start: created account "default". Its admin API token (shown only once, store it now):\n\n  ${rt.bootstrapToken}\n\n`,
        );
      }
      let address: string;
      try {
        address = await rt.app.listen({ port: config.port, host: config.host });
      } catch (err) {
        await rt.close().catch(() => undefined);
        throw listenFailure(err, config.host, config.port);
      }
      if (config.scheduler) rt.startBackground();
      // Webhook delivery is its own switch (CREDVAULT_WEBHOOKS): a node without health checks still delivers.
      else if (config.webhooks) rt.deliveries.start();
      // Proxy use counts are this node's own, scheduler or not.
      rt.usage.start();
      rt.log.info({ address, storage: rt.store.kind }, 'credvault listening');
      process.stderr.write(
        `credvault listening on ${address} (storage: ${rt.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'})\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          rt.log.info({ signal, grace_ms: config.shutdownGraceMs }, 'shutting down');
          // Whatever still runs after the grace period and a little closing time is cut off.
          setTimeout(() => {
            rt.log.warn('shutdown took too long; exiting');
            process.exit(0);
          }, config.shutdownGraceMs + 2500).unref();
          void rt.shutdown(config.shutdownGraceMs).then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      // Abandoned provider calls may still hold sockets: the process ends here, not when they do.
      process.exit(0);
    });
}
