import { type ChildProcess, spawn } from 'node:child_process';
import { BOOTSTRAP_TOKEN, TEST_MASTER_KEYS } from './harness.js';

export interface ChildNode {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit signal or code. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/** Starts `credvault serve` as a separate process (bin loads dist/: `npm test` builds it first). */
export async function startChildNode(env: Record<string, string>): Promise<ChildNode> {
  const child = spawn(process.execPath, ['bin/credvault.js', 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
      CREDVAULT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      CREDVAULT_RATE_LIMIT: '0',
      CREDVAULT_SCHEDULER: 'false',
      CREDVAULT_IMPORT_IDENTIFY: 'false',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${out}`)), 30_000);
    const poll = setInterval(() => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(m[1]);
      }
    }, 20);
    void exited.then((how) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`child exited (${how}) before listening: ${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
