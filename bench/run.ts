/** `npm run bench [name...]`: runs the benchmarks, each printing its ratio to a floor measured in the same run. */
import { benchBulk } from './bulk.js';
import { benchCore } from './core.js';

const all: Record<string, () => Promise<void>> = { core: benchCore, bulk: benchBulk };
all.proxy = async () => (await import('./proxy.js')).benchProxy();
all.scheduler = async () => (await import('./scheduler.js')).benchScheduler();
all.cli = async () => (await import('./cli.js')).benchCli();
all.events = async () => (await import('./events.js')).benchEvents();
all.console = async () => (await import('./console.js')).benchConsole();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : Object.keys(all)) {
  const run = all[name];
  if (!run) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await run();
}
