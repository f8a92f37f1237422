import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnswerBody } from '../../net/pool.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.js';
import { answerError, answerJson, type EdgeRoute } from '../edge.js';
import type { RequestAuth } from '../request-auth.js';
import { closingAnswer, type ShutdownGate } from '../shutdown.js';
import type { AuthContext } from '../../accounts/service.js';
import { PROXY_ERROR_HEADER, type ProxyAnswer, type ProxyService } from '../../proxy/service.js';
import type { UsageCounter } from '../../proxy/usage.js';
import { ErrorBodySchema } from './common.js';

type Outcome = 'complete' | 'cut' | 'answer_too_large';

/**
 * Streams the provider's answer to the caller with backpressure and the size cap, on the fewest
 * listeners the job needs (`pipe` plus two `finished` calls registered about twenty per call, a
 * measurable share of a proxied call's CPU: docs/performance.md, "Proxy"). Settles once:
 * `complete` when the caller's response has finished; otherwise both sides are destroyed (past
 * the headers, cutting the connection is the only way to say "incomplete"). Past `max` bytes the
 * caller's connection is cut first, so the chunk over the cap is written nowhere.
 */
function relay(body: AnswerBody, res: ServerResponse, max: number): Promise<{ outcome: Outcome; bytes: number }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let settled = false;
    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      if (outcome !== 'complete') {
        res.destroy();
        body.destroy();
      }
      resolve({ outcome, bytes });
    };
    if (res.destroyed) return settle('cut');
    const resume = (): void => body.resume();
    res.on('finish', () => settle('complete'));
    res.on('close', () => {
      if (!res.writableFinished) settle('cut');
    });
    res.on('error', () => settle('cut'));
    body.pipeTo({
      data(chunk) {
        if (settled) return false;
        bytes += chunk.length;
        if (bytes > max) {
          settle('answer_too_large');
          return false;
        }
        if (res.write(chunk)) return true;
        res.once('drain', resume);
        return false;
      },
      end: () => {
        if (!settled) res.end();
      },
      error: () => settle('cut'),
    });
  });
}

const PREFIX = '/v1/proxy/credential/';

const Params = z.object({
  id: z.string().describe('Credential id (UUID)'),
  '*': z.string().describe("The provider API path, relative to the kind's base URL; the query string is passed on"),
});

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  413: ErrorBodySchema,
  429: ErrorBodySchema,
  500: ErrorBodySchema,
  502: ErrorBodySchema,
  504: ErrorBodySchema,
};

export interface ProxyRouteDeps {
  proxy: ProxyService;
  usage: UsageCounter;
  maxAnswerBytes: number;
  /** The one info line per call goes here (the request logger would print the query string). */
  log: Logger;
}

export interface ProxyEndpointDeps extends ProxyRouteDeps {
  /** Token, scope and rate limit: the same check as every scoped route's (request-auth.ts). */
  authenticate: RequestAuth;
  gate?: ShutdownGate;
}

/** The raw path after /v1/proxy/credential/{id}/ and the raw query, as the caller sent them. */
function splitRaw(url: string, id: string): { path: string; query: string } | undefined {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  const head = `${PREFIX}${id}`;
  if (!pathPart.startsWith(head)) return undefined;
  const rest = pathPart.slice(head.length);
  if (rest === '') return { path: '', query };
  if (!rest.startsWith('/')) return undefined;
  return { path: rest.slice(1), query };
}

const EDGE_METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const UUID_LENGTH = 36;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The credential id when the edge (edge.ts) answers this request itself: one of the route's five
 * methods and `/v1/proxy/credential/{uuid}/...` exactly as Fastify's router would match it (a
 * UUID has no character the router decodes). Anything else (another method, an id that is not a
 * UUID, a percent-encoded id) goes to Fastify, whose proxy route answers through the same endpoint.
 */
export function edgeCredentialId(method: string | undefined, url: string | undefined): string | undefined {
  if (method === undefined || url === undefined || !url.startsWith(PREFIX) || !EDGE_METHODS.has(method))
    return undefined;
  if (url.charCodeAt(PREFIX.length + UUID_LENGTH) !== 0x2f) return undefined;
  const id = url.slice(PREFIX.length, PREFIX.length + UUID_LENGTH);
  return UUID.test(id) ? id : undefined;
}

/**
 * `serve` answers one proxied call on the raw request and response, whichever door it came
 * through (the edge before Fastify, or Fastify's route): shutdown gate, token and scope, the
 * call, the relay, the use count and the log line. Never throws: every failure is an answer.
 */
export type ProxyEndpoint = EdgeRoute;

/**
 * The proxy's HTTP endpoint. It authenticates itself (the route opts out of the Fastify hook)
 * because the edge answers proxied calls before Fastify: a proxied call is credvault's hot path,
 * and Fastify's request handling alone cost more CPU per call than the whole bare reverse proxy
 * the benchmark compares with (docs/performance.md, "Proxy").
 */
export function createProxyEndpoint(d: ProxyEndpointDeps): ProxyEndpoint {
  const fail = (res: ServerResponse, requestId: string, err: unknown): void => answerError(res, err, requestId, d.log);

  async function call(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    requestId: string,
    auth: AuthContext,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const raw = splitRaw(req.url ?? '', id) ?? { path: '\\', query: '' };
    // One credential, one key: an UPPERCASE id must share the lowercase id's concurrency lane,
    // cache entry (which a delete forgets) and use counts (the edge takes either case).
    id = id.toLowerCase();
    let answer: ProxyAnswer;
    try {
      answer = await d.proxy.call({
        accountId: auth.accountId,
        tokenId: auth.tokenId,
        credentialId: id,
        method: req.method ?? 'GET',
        rawPath: raw.path,
        rawQuery: raw.query,
        req,
      });
    } catch (err) {
      // Credvault's own refusal: still one line and one count.
      const status = err instanceof AppError ? err.status : 500;
      const code = err instanceof AppError ? err.headers[PROXY_ERROR_HEADER] : undefined;
      if (status !== 404) d.usage.add(auth.accountId, id, auth.tokenId, false, 0, 0);
      d.log.info(
        {
          credential_id: id,
          method: req.method,
          status,
          error: code ?? 'internal',
          duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'proxied call refused',
      );
      fail(res, requestId, err);
      return;
    }
    answer.headers['x-request-id'] = requestId;
    let relayed: { outcome: Outcome; bytes: number };
    try {
      res.writeHead(answer.status, answer.headers);
      relayed = await relay(answer.body, res, d.maxAnswerBytes);
    } catch {
      // A header the caller's side refuses to write: the call is cut like any other.
      res.destroy();
      answer.body.destroy();
      relayed = { outcome: 'cut', bytes: 0 };
    } finally {
      answer.release();
    }
    const { outcome } = relayed;
    const bytesOut = Math.min(relayed.bytes, d.maxAnswerBytes);
    d.usage.add(
      auth.accountId,
      id,
      auth.tokenId,
      outcome === 'complete' && answer.status < 400,
      answer.bytesIn,
      bytesOut,
    );
    // The line is built only when it is written (the proxy logs at warn by default).
    if (d.log.isLevelEnabled('info'))
      d.log.info(
        {
          credential_id: id,
          method: req.method,
          host: answer.host,
          path: answer.path,
          status: answer.status,
          bytes_in: answer.bytesIn,
          bytes_out: bytesOut,
          duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
          ...(outcome === 'complete' ? {} : { outcome }),
        },
        outcome === 'answer_too_large'
          ? `proxied call cut: the answer is larger than ${d.maxAnswerBytes} bytes`
          : 'proxied call',
      );
  }

  return {
    take: (req) => edgeCredentialId(req.method, req.url),
    serve(req, res, id, requestId) {
      if (d.gate?.closing) {
        const a = closingAnswer(requestId);
        answerJson(res, a.status, a.headers, a.body, requestId);
        return;
      }
      try {
        d.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '', 'credentials:use', (err, auth) => {
          if (err !== undefined || auth === undefined) {
            fail(res, requestId, err);
            return;
          }
          call(req, res, id, requestId, auth).catch((e: unknown) => fail(res, requestId, e));
        });
      } catch (err) {
        // At the edge nothing is above this call to catch it: a throw would end the process.
        fail(res, requestId, err);
      }
    },
  };
}

export function proxyRoutes(app: FastifyInstance, endpoint: ProxyEndpoint): void {
  // Bodies are streamed to the provider as they are: no parsing, whatever the content type.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    const r = scope.withTypeProvider<ZodTypeProvider>();
    r.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: `${PREFIX}:id/*`,
      // Fastify's request lines would carry the query string (proxy spec: never logged).
      logLevel: 'warn',
      config: {
        scope: 'credentials:use',
        // The endpoint checks the token itself (it also answers before Fastify, edge.ts).
        authenticatesItself: true,
        rawBody: true,
        docs: {
          passThrough:
            "The provider's answer: its status, headers (hop-by-hop and Set-Cookie removed) and body, streamed as it gave them, in any content type",
        },
      },
      schema: {
        tags: ['proxy'],
        operationId: 'proxy',
        summary: 'Call the provider API with this credential; credvault adds the authentication',
        description:
          "The path and query are passed to the kind's base URL; the answer streams back as the provider gave it (hop-by-hop headers and Set-Cookie removed). Errors credvault makes itself carry the header `X-Credvault-Proxy-Error`: invalid_path (400), not_found (404), credential_unusable (409), too_large (413), busy (429), upstream_unreachable (502), timeout (504).",
        params: Params,
        response: errors,
      },
      handler: (req, reply) => {
        void reply.hijack();
        endpoint.serve(req.raw, reply.raw, req.params.id, String(req.id));
      },
    });
  });
}
