/**
 * `POST /v1/credentials/{id}/access-token`: a valid access token, renewed first when due, audited
 * before it is answered (docs/security.md C9; the token path: docs/architecture.md). Two doors,
 * one service call: the edge (edge.ts) answers the plain request applications send on every use
 * (no body, no query, no Idempotency-Key) before Fastify; Fastify's route answers the rest,
 * with its body parsing and the Idempotency-Key rules of a secret answer (a repeat answers 409).
 * test/tokens/edge.test.ts sends each case to both doors and compares the answers.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TokenService } from '../../tokens/service.js';
import { answerError, answerJson, type EdgeRoute } from '../edge.js';
import { component } from '../openapi/registry.js';
import type { RequestAuth } from '../request-auth.js';
import { closingAnswer, type ShutdownGate } from '../shutdown.js';
import { IdParams, authOf, commonErrors } from './common.js';

const AccessTokenSchema = component(
  'AccessToken',
  z.object({
    credential_id: z.string(),
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_at: z.string().nullable(),
  }),
);

export function accessTokenRoute(app: FastifyInstance, tokens: Pick<TokenService, 'accessToken'>, tags: string[]) {
  app.withTypeProvider<ZodTypeProvider>().post('/v1/credentials/:id/access-token', {
    config: { scope: 'secrets:reveal', secretAnswer: true },
    schema: {
      tags,
      operationId: 'getAccessToken',
      summary: 'A valid access token (refreshed first when needed); audited',
      params: IdParams,
      response: { 200: AccessTokenSchema, 409: commonErrors[500], 503: commonErrors[500], ...commonErrors },
    },
    handler: async (req) => tokens.accessToken(authOf(req).accountId, req.params.id, authOf(req).tokenId),
  });
}

const PATH =
  /^\/v1\/credentials\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\/access-token$/;

/**
 * The credential id when the edge answers this request itself: a POST of exactly this path (no
 * query, no trailing slash) with a UUID id, no body (no Content-Type, Transfer-Encoding or
 * non-zero Content-Length) and no Idempotency-Key. Everything else goes to Fastify's route, which
 * parses bodies (an empty JSON body is a 400 there) and applies the Idempotency-Key rules.
 */
export function accessTokenEdgeId(req: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): string | undefined {
  if (req.method !== 'POST' || req.url === undefined || !req.url.endsWith('/access-token')) return undefined;
  const h = req.headers;
  if (
    h['idempotency-key'] !== undefined ||
    h['content-type'] !== undefined ||
    h['transfer-encoding'] !== undefined ||
    (h['content-length'] !== undefined && h['content-length'] !== '0')
  )
    return undefined;
  return PATH.exec(req.url)?.[1];
}

export interface AccessTokenEndpointDeps {
  tokens: Pick<TokenService, 'accessToken'>;
  /** Token, scope and rate limit: the same check as every scoped route's (request-auth.ts). */
  authenticate: RequestAuth;
  gate?: ShutdownGate;
  log: Logger;
}

/** The edge's access-token route: what Fastify's route does for a plain request, without Fastify. */
export function createAccessTokenEndpoint(d: AccessTokenEndpointDeps): EdgeRoute {
  return {
    take: accessTokenEdgeId,
    serve(req, res, id, requestId) {
      if (d.gate?.closing) {
        const a = closingAnswer(requestId);
        answerJson(res, a.status, a.headers, a.body, requestId);
        return;
      }
      const started = process.hrtime.bigint();
      const done = (status: number): void => {
        // Fastify's request line for this route, at the level Fastify logs it.
        if (d.log.isLevelEnabled('info'))
          d.log.info(
            {
              reqId: requestId,
              req: { method: 'POST', url: req.url },
              res: { statusCode: status },
              responseTime: Number(process.hrtime.bigint() - started) / 1e6,
            },
            'request completed',
          );
      };
      const fail = (err: unknown): void => {
        answerError(res, err, requestId, d.log);
        done(res.statusCode);
      };
      try {
        d.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '', 'secrets:reveal', (err, auth) => {
          if (err !== undefined || auth === undefined) {
            fail(err);
            return;
          }
          d.tokens.accessToken(auth.accountId, id, auth.tokenId).then((answer) => {
            answerJson(res, 200, {}, answer, requestId);
            done(200);
          }, fail);
        });
      } catch (err) {
        // At the edge nothing is above this call to catch it: a throw would end the process.
        fail(err);
      }
    },
  };
}
