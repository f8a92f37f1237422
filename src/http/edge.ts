/**
 * The edge: the HTTP server's request listener, in front of Fastify. The two paths applications
 * call on every use of a credential are answered here: proxied calls
 * (`/v1/proxy/credential/{uuid}/...`, proxy spec) and `POST /v1/credentials/{uuid}/access-token`
 * without a body, query or Idempotency-Key. Every other request goes to Fastify as before.
 * Fastify's request handling (request and reply objects, routing, hooks) cost more CPU per call
 * than the whole bare reverse proxy `npm run bench -- proxy` compares with (docs/performance.md,
 * "The edge"), so the use paths skip it. Each edge route checks the token with the same function
 * as Fastify's hook (request-auth.ts) and answers errors with the same errorAnswer; Fastify's own
 * route for the same path answers what the edge leaves, and tests send each case to both doors
 * and compare the answers (test/proxy/edge.test.ts, test/tokens/edge.test.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { errorAnswer } from './errors.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface EdgeRoute {
  /** The path's id when this route answers the request at the edge; undefined leaves it to the next (Fastify last). */
  take(req: IncomingMessage): string | undefined;
  /** Answers the request; never throws (nothing above the edge would catch it). */
  serve(req: IncomingMessage, res: ServerResponse, id: string, requestId: string): void;
}

/**
 * Puts the edge routes in front of the server's one request listener (the one Fastify registered
 * when it created the server, with its timeouts and options). Returns false, changing nothing,
 * when the server has not exactly one listener: then Fastify answers everything.
 */
export function installEdge(server: Server, routes: readonly EdgeRoute[], requestId: () => string): boolean {
  const listeners = server.listeners('request');
  const fastify = listeners[0] as Listener | undefined;
  if (listeners.length !== 1 || fastify === undefined || routes.length === 0) return false;
  server.removeListener('request', fastify);
  // Named: the running server's listener can be told apart from Fastify's (the edge tests).
  server.on('request', function credvaultEdge(req: IncomingMessage, res: ServerResponse) {
    for (const route of routes) {
      const id = route.take(req);
      if (id !== undefined) {
        route.serve(req, res, id, requestId());
        return;
      }
    }
    fastify(req, res);
  });
  return true;
}

/** A JSON answer with the headers every authenticated answer carries (as Fastify's hooks set them). */
export function answerJson(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: object,
  requestId: string,
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end(text);
}

/** An error answered in the house shape, logged as Fastify's error handler logs it (errors.ts). */
export function answerError(res: ServerResponse, err: unknown, requestId: string, log: Logger): void {
  const a = errorAnswer(err, requestId, log.child({ reqId: requestId }));
  answerJson(res, a.status, a.headers, a.body, requestId);
}
