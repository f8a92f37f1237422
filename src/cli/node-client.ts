/**
 * The CLI's HTTP client: the typed client's interface (client/index.ts, openapi-fetch) over
 * node:http/node:https. fetch loads undici on its first call (about half of the CLI's start
 * time on a small machine); node:http is already in Node's snapshot (docs/architecture.md "CLI",
 * npm run bench -- cli). Only what the CLI uses: GET/POST/PATCH/DELETE with path, query and
 * header params and a JSON body, answering `{ data }` on 2xx or `{ error }`, plus `response`
 * with `ok`, `status` and `headers.get`.
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import type { CredvaultClient } from '../client/index.js';

type Query = Record<string, unknown>;

interface Init {
  params?: { path?: Record<string, unknown>; query?: Query; header?: Record<string, unknown> };
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the CLI reads of an answer (a subset of fetch's Response). */
export interface CliResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
}

/** openapi-fetch's default serialisation: form, exploded arrays, skipping undefined. */
function queryString(query: Query | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? (v as unknown[]) : [v])
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(item))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function pathOf(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? '')));
}

/** A network failure looks like fetch's (a TypeError "fetch failed" with the cause), as callers expect. */
function networkError(cause: unknown): TypeError {
  return new TypeError('fetch failed', { cause });
}

export function createNodeClient(opts: { url: string; token: string; headers?: Record<string, string> }) {
  const base = new URL(opts.url.replace(/\/+$/, ''));
  const prefix = base.pathname.replace(/\/+$/, '');
  const send = async (method: string, path: string, init: Init = {}) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...opts.headers,
      ...init.headers,
      authorization: `Bearer ${opts.token}`,
    };
    for (const [k, v] of Object.entries(init.params?.header ?? {})) if (v !== undefined) headers[k] = String(v);
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    // node:https only when the URL asks for it: it loads TLS.
    const request = base.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
    const res = await new Promise<{ message: IncomingMessage; text: string }>((resolve, reject) => {
      const req = request(
        {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || undefined,
          method,
          path: `${prefix}${pathOf(path, init.params?.path)}${queryString(init.params?.query)}`,
          headers,
        },
        (message) => {
          const chunks: Buffer[] = [];
          message.on('data', (c: Buffer) => chunks.push(c));
          message.on('end', () => resolve({ message, text: Buffer.concat(chunks).toString('utf8') }));
          message.on('error', (err) => reject(networkError(err)));
        },
      );
      req.on('error', (err) => reject(networkError(err)));
      req.end(body);
    });
    const status = res.message.statusCode ?? 0;
    const response: CliResponse = {
      ok: status >= 200 && status < 300,
      status,
      headers: {
        get(name) {
          const v = res.message.headers[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
        },
      },
    };
    // Like openapi-fetch: no data for 204 or an empty body; an unparsable error body stays text.
    if (status === 204 || res.text === '') return { response, ...(response.ok ? { data: undefined } : {}) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      if (response.ok) throw new Error(`credvault answered ${status} with a body that is not JSON`);
      return { error: res.text, response };
    }
    return response.ok ? { data: parsed, response } : { error: parsed, response };
  };
  const client = {
    GET: (path: string, init?: Init) => send('GET', path, init),
    POST: (path: string, init?: Init) => send('POST', path, init),
    PATCH: (path: string, init?: Init) => send('PATCH', path, init),
    PUT: (path: string, init?: Init) => send('PUT', path, init),
    DELETE: (path: string, init?: Init) => send('DELETE', path, init),
  };
  // The typed interface of the generated client: the paths, parameters and answers are checked at
  // every call site; at run time `response` is a CliResponse (what the CLI reads of it).
  return client as unknown as CredvaultClient;
}
