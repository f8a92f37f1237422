/** A credvault listening on 127.0.0.1 (in this process) and the real CLI binary run against it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createCredvaultClient, unwrap } from '../../src/client/index.js';
import { type Runtime, createRuntime } from '../../src/main.js';
import { BOOTSTRAP_TOKEN, testConfig } from '../support/harness.js';
import { type StoreKind, type TestStore, openTestStore } from '../support/stores.js';

export const BIN = fileURLToPath(new URL('../../bin/credvault.js', import.meta.url));
const DIST_CLI = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(DIST_CLI))
    throw new Error('bin/credvault.js loads dist/: run `npm run build` first (npm test does it in pretest).');
}

export interface LiveServer {
  url: string;
  rt: Runtime;
  testStore: TestStore;
  /** A new account and its all-but-admin token. */
  newAccount(name?: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

export async function startLiveServer(kind: StoreKind, overrides: Record<string, string> = {}): Promise<LiveServer> {
  const testStore = await openTestStore(kind);
  // No DNS from tests: tenant hosts resolve to nothing (vetting then accepts them).
  const rt = await createRuntime(testConfig(overrides), {
    store: testStore.store,
    log: pino({ level: 'silent' }),
    lookup: async () => [],
  });
  await rt.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = rt.app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const admin = createCredvaultClient({ url, token: BOOTSTRAP_TOKEN });
  let n = 0;
  return {
    url,
    rt,
    testStore,
    async newAccount(name) {
      const created = await unwrap(admin.POST('/v1/accounts', { body: { name: name ?? `cli-${++n}` } }));
      return { id: created.id, token: created.token.token };
    },
    async close() {
      await rt.close();
      await testStore.close();
    },
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run: none of the caller's CREDVAULT_* variables leak in. */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CREDVAULT_')));
  return { ...base, ...env };
}

export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): { child: ChildProcess; done: Promise<CliRun>; stderrLines: (cb: (line: string) => void) => void } {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: ((line: string) => void)[] = [];
  let partial = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => {
    const text = c.toString();
    stderr += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) for (const cb of listeners) cb(l);
  });
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stderrLines: (cb) => listeners.push(cb) };
}

export function runCliProcess(args: string[], env: Record<string, string> = {}, input?: string): Promise<CliRun> {
  return spawnCli(args, env, input).done;
}
