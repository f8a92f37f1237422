import type { Command } from 'commander';
import { generateKey } from '../../crypto/keyring.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('Master key management.');
  keys
    .command('generate')
    .description('Print a new master key as kid:base64, for CREDVAULT_MASTER_KEYS.')
    .option('--kid <kid>', 'key id (letters, digits, _ and -)')
    .action((opts: { kid?: string }) => {
      process.stdout.write(`${generateKey(opts.kid).spec}\n`);
    });
}
