/**
 * One small node:http server per fake provider, on 127.0.0.1:0. Routes and error shapes come
 * from test/fakes/providers/<provider>.ts; state (valid tokens, forced answers) from FakeState.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider } from '../../src/providers/registry.js';
import { FAKE_PROVIDERS } from './providers/index.js';
import { FakeState, type Forced } from './state.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The URL as the fake received it (http://127.0.0.1:port/path?query). */
  url: string;
  header(name: string): string | undefined;
  form(): URLSearchParams;
  json(): unknown;
  bearer(): string | undefined;
  basic(): { user: string; pass: string } | undefined;
}

export interface FakeReply {
  status: number;
  /** Serialized as JSON unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeRoute {
  name: string;
  method: string;
  path: RegExp;
  handle(req: FakeRequest, state: FakeState, params: string[]): FakeReply;
}

export type ErrorAnswer = Exclude<Forced, 'hang' | 'garbage'>;

export interface FakeProviderDef {
  routes: FakeRoute[];
  /** The provider's own shape for a forced answer on `route`. */
  error(answer: ErrorAnswer, route: string, state: FakeState): FakeReply;
  /** Provider defaults (e.g. HubSpot does not rotate refresh tokens). */
  setup?(state: FakeState): void;
}

export interface RecordedRequest {
  route: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export class CallLog {
  readonly requests: RecordedRequest[] = [];
  /** Calls to `route`, or all calls. */
  count(route?: string): number {
    return route === undefined ? this.requests.length : this.requests.filter((r) => r.route === route).length;
  }
}

export interface FakeProvider {
  provider: Provider;
  url: string;
  state: FakeState;
  calls: CallLog;
  close(): Promise<void>;
}

function makeRequest(method: string, url: URL, headers: IncomingHttpHeaders, body: string): FakeRequest {
  const header = (name: string): string | undefined => {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    method,
    path: url.pathname,
    query: url.searchParams,
    headers,
    body,
    url: url.toString(),
    header,
    form: () => new URLSearchParams(body),
    json: () => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        return undefined;
      }
    },
    bearer: () => /^Bearer (.+)$/i.exec(header('authorization') ?? '')?.[1],
    basic: () => {
      const b64 = /^Basic (.+)$/i.exec(header('authorization') ?? '')?.[1];
      if (b64 === undefined) return undefined;
      const text = Buffer.from(b64, 'base64').toString('utf8');
      const i = text.indexOf(':');
      return i < 0 ? undefined : { user: text.slice(0, i), pass: text.slice(i + 1) };
    },
  };
}

/** `extraRoutes` come before the provider's own (Connect's consent pages, test/fakes/consent.ts). */
export async function startFakeProvider(provider: Provider, extraRoutes: FakeRoute[] = []): Promise<FakeProvider> {
  const own = FAKE_PROVIDERS[provider];
  const def: FakeProviderDef = { ...own, routes: [...extraRoutes, ...own.routes] };
  const state = new FakeState();
  def.setup?.(state);
  const calls = new CallLog();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      const method = req.method ?? 'GET';
      let params: string[] = [];
      const route = def.routes.find((r) => {
        const m = r.method === method ? r.path.exec(url.pathname) : null;
        if (m) params = m.slice(1).map((p) => decodeURIComponent(p));
        return m !== null;
      });
      const name = route?.name ?? 'unknown';
      calls.requests.push({ route: name, method, url: url.toString(), headers: req.headers, body });
      const forced = state.takeForced(name);
      if (forced === 'hang') return; // never answer; close() drops the socket
      let reply: FakeReply;
      if (forced === 'garbage')
        reply = {
          status: 200,
          body: '<html><body>Service temporarily redirected</body></html>',
          headers: { 'content-type': 'text/html' },
        };
      else if (forced !== undefined) reply = def.error(forced, name, state);
      else if (route) reply = route.handle(makeRequest(method, url, req.headers, body), state, params);
      else reply = { status: 404, body: { message: 'no such route in the fake' } };
      const text =
        typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
      res.writeHead(reply.status, { 'content-type': type, ...reply.headers });
      res.end(text);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    provider,
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
