import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { type ZodTypeProvider, jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import type { AccountService, AuthContext } from '../accounts/service.js';
import type { Scope } from '../accounts/tokens.js';
import { requireScope } from '../accounts/service.js';
import type { IdempotencyService } from '../idempotency/service.js';
import { requestHash } from '../idempotency/service.js';
import { RateLimitedError, ValidationError } from '../lib/errors.js';
import { createFastSerializerCompiler } from '../lib/json-serializer.js';
import { findNulPath } from './nul.js';
import { handleError } from './errors.js';
import { createRateLimiter } from './rate-limit.js';
import { registerRoutes, type Services } from './routes/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
    idempotencyKey?: string;
  }
  interface FastifyContextConfig {
    /** The scope a token needs for this route; routes without one are public. */
    scope?: Scope;
  }
}

export interface AppDeps extends Services {
  accounts: AccountService;
  idempotency: IdempotencyService;
  ping(): Promise<boolean>;
  rateLimitPerSecond: number;
  logger: FastifyServerOptions['loggerInstance'] | boolean;
}

export type App = FastifyInstance;

/** Builds the HTTP app; everything it uses is passed in. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const base = {
    genReqId: () => randomUUID(),
    requestIdHeader: false as const,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  };
  const app = (
    typeof deps.logger === 'object' && deps.logger !== null
      ? Fastify({ ...base, loggerInstance: deps.logger })
      : Fastify({ ...base, logger: deps.logger === true })
  ).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Responses: zod schema → JSON Schema once → fast-json-stringify (still allowlisted), instead of a zod encode per answer.
  app.setSerializerCompiler(createFastSerializerCompiler());
  // Only JSON is accepted: without this, text/plain bodies would reach validation as strings.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ summary: `No route ${req.method} ${req.url.split('?')[0] ?? ''}; see /docs.` });
  });

  const limiter = createRateLimiter(deps.rateLimitPerSecond);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    const scope = req.routeOptions.config.scope;
    if (!scope) return;
    const auth = await deps.accounts.authenticate(req.headers.authorization);
    requireScope(auth, scope);
    const wait = limiter.take(auth.tokenId);
    if (wait > 0) throw new RateLimitedError(wait);
    req.auth = auth;
  });

  app.addHook('preValidation', async (req) => {
    const where = findNulPath(req.body) ?? findNulPath(req.query);
    if (where !== undefined) throw new ValidationError({ [where]: ['must not contain the NUL character (\\u0000)'] });
  });

  // Idempotency-Key on any authenticated POST: claim, replay, or reject (api.md §3.6).
  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers['idempotency-key'];
    if (req.method !== 'POST' || !req.auth || typeof key !== 'string') return;
    const path = req.url.split('?')[0] ?? req.url;
    const claim = await deps.idempotency.begin(req.auth.accountId, key, requestHash(req.method, path, req.body));
    if (claim.kind === 'replay') {
      return reply
        .code(claim.status)
        .header('content-type', 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(claim.body);
    }
    req.idempotencyKey = key;
    return undefined;
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const key = req.idempotencyKey;
    if (!key || !req.auth) return payload;
    if (reply.statusCode >= 500) await deps.idempotency.abandon(req.auth.accountId, key);
    else await deps.idempotency.complete(req.auth.accountId, key, reply.statusCode, typeof payload === 'string' ? payload : String(payload));
    return payload;
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'credvault',
        description: 'Sequin-compatible Management API for third-party credentials and OAuth apps.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await deps.ping();
    return reply.code(ok ? 200 : 503).send(ok ? { status: 'ok' } : { summary: 'Storage is unreachable.' });
  });

  registerRoutes(app, deps);
  await app.ready();
  return app;
}
