import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/lib/clock.js';
import { loggerOptions } from '../../src/http/logger.js';
import { type Runtime, createRuntime } from '../../src/main.js';
import { type StoreKind, type TestStore, openTestStore } from './stores.js';

export const TEST_MASTER_KEYS = 'test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
export const BOOTSTRAP_TOKEN = 'bootstrap-token-for-tests-0123456789abcdef';

/** Captures every log line the runtime writes, so tests can grep them for secrets. */
export function captureLogger(level = 'info') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { log: pino(loggerOptions(level), stream), lines };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    CREDVAULT_MASTER_KEYS: TEST_MASTER_KEYS,
    CREDVAULT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    CREDVAULT_RATE_LIMIT: '0',
    // Tests send many deliberate 401s from one address; http-limits.test.ts turns this on.
    CREDVAULT_AUTH_FAILURE_LIMIT: '0',
    CREDVAULT_SCHEDULER: 'false',
    CREDVAULT_IMPORT_IDENTIFY: 'false',
    CREDVAULT_DATA_DIR: 'memory://',
    LOG_LEVEL: 'info',
    ...overrides,
  });
}

export interface Harness {
  kind: StoreKind;
  rt: Runtime;
  testStore: TestStore;
  logs: string[];
  /** A new account and an all-but-admin token for it: tests isolate by account, not by reset. */
  newAccount(name?: string): Promise<Client>;
  admin: Client;
  close(): Promise<void>;
}

export interface Client {
  token: string;
  accountId: string;
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  json<T = Record<string, unknown>>(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: T; headers: Record<string, unknown> }>;
}

function client(rt: Runtime, token: string, accountId: string): Client {
  const req: Client['req'] = (method, url, body, headers = {}) =>
    rt.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  return {
    token,
    accountId,
    req,
    async json(method, url, body, headers) {
      const res = await req(method, url, body, headers);
      return { status: res.statusCode, body: res.json(), headers: res.headers };
    },
  };
}

/** Test DNS: names resolve only where a test says so (no lookups leave the machine). */
export const TEST_DNS = new Map<string, string[]>();

export async function startHarness(
  kind: StoreKind,
  overrides: Record<string, string> = {},
  opts: { dataDir?: string; clock?: Clock } = {},
): Promise<Harness> {
  const testStore = await openTestStore(kind, opts);
  const { log, lines } = captureLogger(overrides.LOG_LEVEL ?? 'info');
  const rt = await createRuntime(testConfig(overrides), {
    store: testStore.store,
    log,
    lookup: async (host) => TEST_DNS.get(host) ?? [],
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const adminAccount = await rt.app.inject({
    method: 'GET',
    url: '/v1/accounts/me',
    headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
  });
  const admin = client(rt, BOOTSTRAP_TOKEN, (adminAccount.json() as { id: string }).id);
  let n = 0;
  return {
    kind,
    rt,
    testStore,
    logs: lines,
    admin,
    async newAccount(name) {
      const res = await admin.json<{ id: string; token: { token: string } }>('POST', '/v1/accounts', {
        name: name ?? `acct-${++n}`,
      });
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status}`);
      return client(rt, res.body.token.token, res.body.id);
    },
    async close() {
      await rt.close();
      await testStore.close();
    },
  };
}
