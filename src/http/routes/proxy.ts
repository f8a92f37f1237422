import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type Readable, type Writable, finished } from 'node:stream';
import { z } from 'zod';
import type { Logger } from 'pino';
import { AppError } from '../../lib/errors.js';
import { PROXY_ERROR_HEADER, type ProxyAnswer, type ProxyService } from '../../proxy/service.js';
import type { UsageCounter } from '../../proxy/usage.js';
import { ErrorBodySchema } from './common.js';

/**
 * `pipeline(body, res)` without its per-call AbortController: stream.pipeline aborts one when it
 * finishes, and the DOMException that makes cost ~10 % of a proxied call's CPU (bench/cpu.ts
 * proxy, docs/performance.md). Settles once both streams are done; rejects when either fails or
 * closes early (the caller then destroys both, as pipeline would).
 */
function relay(body: Readable, res: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let open = 2;
    const done = (err?: Error | null): void => {
      if (err) reject(err);
      else if (--open === 0) resolve();
    };
    finished(body, done);
    finished(res, done);
    body.pipe(res);
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

export function proxyRoutes(app: FastifyInstance, d: ProxyRouteDeps): void {
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
      handler: async (req, reply) => {
        const started = process.hrtime.bigint();
        const auth = req.auth;
        const accountId = auth?.accountId ?? '';
        const raw = splitRaw(req.raw.url ?? '', req.params.id) ?? { path: '\\', query: '' };
        let answer: ProxyAnswer;
        try {
          answer = await d.proxy.call({
            accountId,
            tokenId: auth?.tokenId ?? null,
            credentialId: req.params.id,
            method: req.method,
            rawPath: raw.path,
            rawQuery: raw.query,
            req: req.raw,
          });
        } catch (err) {
          // Credvault's own refusal: still one line and one count (the error handler answers it).
          const status = err instanceof AppError ? err.status : 500;
          const code = err instanceof AppError ? err.headers[PROXY_ERROR_HEADER] : undefined;
          if (status !== 404) d.usage.add(accountId, req.params.id, auth?.tokenId ?? null, false, 0, 0);
          d.log.info(
            {
              credential_id: req.params.id,
              method: req.method,
              status,
              error: code ?? 'internal',
              duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
            },
            'proxied call refused',
          );
          throw err;
        }
        void reply.hijack();
        const res = reply.raw;
        res.writeHead(answer.status, { ...answer.headers, 'x-request-id': String(req.id) });
        const counter = { bytes: 0, exceeded: false };
        // Counted on the way through (no extra stream stage); past the cap the connection is cut.
        answer.body.on('data', (chunk: Buffer) => {
          counter.bytes += chunk.length;
          if (counter.bytes > d.maxAnswerBytes && !counter.exceeded) {
            counter.exceeded = true;
            // The caller's connection first: the chunk over the cap is then written nowhere.
            res.destroy();
            answer.body.destroy(new Error('answer too large'));
          }
        });
        let outcome = 'complete';
        try {
          await relay(answer.body, res);
          if (counter.exceeded) throw new Error('answer too large');
        } catch {
          outcome = counter.exceeded ? 'answer_too_large' : 'cut';
          // Past the headers the only way to say "incomplete" is to cut the connection.
          answer.body.destroy();
          res.destroy();
        } finally {
          answer.release();
        }
        const ok = outcome === 'complete' && answer.status < 400;
        d.usage.add(
          accountId,
          req.params.id,
          auth?.tokenId ?? null,
          ok,
          answer.bytesIn,
          Math.min(counter.bytes, d.maxAnswerBytes),
        );
        d.log.info(
          {
            credential_id: req.params.id,
            method: req.method,
            host: answer.host,
            path: answer.path,
            status: answer.status,
            bytes_in: answer.bytesIn,
            bytes_out: Math.min(counter.bytes, d.maxAnswerBytes),
            duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
            ...(outcome === 'complete' ? {} : { outcome }),
          },
          outcome === 'answer_too_large'
            ? `proxied call cut: the answer is larger than ${d.maxAnswerBytes} bytes`
            : 'proxied call',
        );
      },
    });
  });
}
