/**
 * The edge: the HTTP server's request listener, in front of Fastify. Proxied calls
 * (`/v1/proxy/credential/{uuid}/...`, proxy spec) are answered here by the proxy endpoint, which
 * authenticates itself; every other request goes to Fastify as before. Fastify's request handling
 * (request and reply objects, routing, hooks) cost more CPU per call than the whole bare reverse
 * proxy that `npm run bench -- proxy` compares with (docs/performance.md, "Proxy"), so the hot
 * path skips it. Fastify's own proxy route answers through the same endpoint (for `inject()`, and
 * for what the edge leaves to the router), so both doors give the same answers
 * (test/proxy/edge.test.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { edgeCredentialId, type ProxyEndpoint } from './routes/proxy.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Puts the edge in front of the server's one request listener (the one Fastify registered when it
 * created the server, with its timeouts and options). Returns false, changing nothing, when the
 * server has not exactly one listener: then Fastify's proxy route answers every proxied call.
 */
export function installEdge(server: Server, endpoint: ProxyEndpoint, requestId: () => string): boolean {
  const listeners = server.listeners('request');
  const fastify = listeners[0] as Listener | undefined;
  if (listeners.length !== 1 || fastify === undefined) return false;
  server.removeListener('request', fastify);
  // Named: the running server's listener can be told apart from Fastify's (test/proxy/edge.test.ts).
  server.on('request', function credvaultEdge(req: IncomingMessage, res: ServerResponse) {
    const id = edgeCredentialId(req.method, req.url);
    if (id === undefined) fastify(req, res);
    else endpoint.serve(req, res, id, requestId());
  });
  return true;
}
