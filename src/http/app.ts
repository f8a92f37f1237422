import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type onRequestHookHandler,
  type onSendHookHandler,
  type preHandlerHookHandler,
} from 'fastify';
import { type ZodTypeProvider, jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import type { AccountService, AuthContext } from '../accounts/service.js';
import type { Scope } from '../accounts/tokens.js';
import { requireScope } from '../accounts/service.js';
import type { IdempotencyService } from '../idempotency/service.js';
import { requestHash } from '../idempotency/service.js';
import { RateLimitedError, ValidationError } from '../lib/errors.js';
import { createFastSerializerCompiler } from '../lib/json-serializer.js';
import { lazyChildLoggerFactory } from '../lib/lazy-logger.js';
import { registerConsole } from './console.js';
import { findUnstorable, hasUnstorable } from './unstorable.js';
import { handleError } from './errors.js';
import { createRateLimiter } from './rate-limit.js';
import type { ShutdownGate } from './shutdown.js';
import { registerRoutes, type Services } from './routes/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
    idempotencyKey?: string;
  }
  interface FastifyContextConfig {
    /** The scope a token needs for this route; routes without one are public. */
    scope?: Scope;
    /** The body is the caller's, streamed elsewhere (the proxy): no Idempotency-Key claim. */
    rawBody?: boolean;
  }
}

export interface AppDeps extends Services {
  accounts: AccountService;
  idempotency: IdempotencyService;
  ping(): Promise<boolean>;
  rateLimitPerSecond: number;
  logger: FastifyServerOptions['loggerInstance'] | boolean;
  /** Shutdown state: 503s in the error shape while closing (see http/shutdown.ts). */
  gate?: ShutdownGate;
}

export type App = FastifyInstance;

/** Builds the HTTP app; everything it uses is passed in. */
export async function buildApp(deps: AppDeps): Promise<App> {
  const base = {
    genReqId: () => randomUUID(),
    requestIdHeader: false as const,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
    // While closing, the gate answers 503 in our error shape instead of Fastify's default body.
    return503OnClosing: false,
    // A path the router cannot decode (%zz): the house error shape, never the URL echoed back;
    // under the proxy it is an invalid path like any other (proxy spec, X-Credvault-Proxy-Error).
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      if (err.code !== 'FST_ERR_BAD_URL') return handleError(err, req, reply);
      if (req.url.startsWith('/v1/proxy/credential/')) void reply.header('x-credvault-proxy-error', 'invalid_path');
      void reply.code(400).send({ summary: req.url.startsWith('/v1/proxy/credential/') ? 'Invalid proxy path: the path has an invalid percent-encoding.' : 'The request path has an invalid percent-encoding.' });
    },
  };
  const app = (
    typeof deps.logger === 'object' && deps.logger !== null
      ? // Request children are made on the first line actually logged (see lazy-logger).
        Fastify({ ...base, loggerInstance: deps.logger, childLoggerFactory: lazyChildLoggerFactory })
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
  const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

  // The hooks are callback-style and finish synchronously when they have nothing to wait for
  // (a cached token, no Idempotency-Key): no promise and no microtask hop per request.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  if (deps.gate) {
    app.addHook('onRequest', deps.gate.onRequest);
    app.addHook('onResponse', deps.gate.onResponse);
  }

  /** Token, scope and rate limit, for the routes that declare a scope (added by onRoute below). */
  const authenticateFor =
    (scope: Scope): onRequestHookHandler =>
    (req, _reply, done) => {
      const admit = (auth: AuthContext): Error | undefined => {
        try {
          requireScope(auth, scope);
          const wait = limiter.take(auth.tokenId);
          if (wait > 0) throw new RateLimitedError(wait);
        } catch (err) {
          return asError(err);
        }
        req.auth = auth;
        return undefined;
      };
      const cached = deps.accounts.cachedAuth(req.headers.authorization);
      if (cached) {
        done(admit(cached));
        return;
      }
      deps.accounts.authenticate(req.headers.authorization).then(
        (auth) => done(admit(auth)),
        (err: unknown) => done(asError(err)),
      );
    };

  app.addHook('preValidation', (req, _reply, done) => {
    if (!hasUnstorable(req.body) && !hasUnstorable(req.query)) {
      done();
      return;
    }
    const found = findUnstorable(req.body) ?? findUnstorable(req.query);
    done(found === undefined ? undefined : new ValidationError({ [found.path]: [found.reason] }));
  });

  // Idempotency-Key on any authenticated POST: claim, replay, or reject (docs/api.md §3.6).
  const claimIdempotencyKey: preHandlerHookHandler = (req, reply, done) => {
    const key = req.headers['idempotency-key'];
    const auth = req.auth;
    if (req.method !== 'POST' || !auth || typeof key !== 'string') {
      done();
      return;
    }
    const path = req.url.split('?')[0] ?? req.url;
    deps.idempotency.begin(auth.accountId, key, requestHash(req.method, path, req.body)).then(
      (claim) => {
        if (claim.kind === 'replay') {
          // Answered here: the handler does not run (done is not called).
          void reply
            .code(claim.status)
            .header('content-type', 'application/json; charset=utf-8')
            .header('idempotent-replayed', 'true')
            .send(claim.body);
          return;
        }
        req.idempotencyKey = key;
        done();
      },
      (err: unknown) => done(asError(err)),
    );
  };
  const recordIdempotentAnswer: onSendHookHandler = (req, reply, payload, done) => {
    const key = req.idempotencyKey;
    const auth = req.auth;
    if (!key || !auth) {
      done(null, payload);
      return;
    }
    const stored =
      reply.statusCode >= 500
        ? deps.idempotency.abandon(auth.accountId, key)
        : deps.idempotency.complete(auth.accountId, key, reply.statusCode, typeof payload === 'string' ? payload : String(payload));
    stored.then(
      () => done(null, payload),
      (err: unknown) => done(asError(err)),
    );
  };

  // Authentication and idempotency only where they apply: routes with a scope (and, for
  // idempotency, POST), so the other routes skip those hooks. They run first among the
  // route's own hooks, right after the global ones above, as global hooks did.
  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    if (!scope) return;
    route.onRequest = [authenticateFor(scope), ...hookList(route.onRequest)];
    const methods: readonly string[] = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes('POST') && route.config?.rawBody !== true) {
      route.preHandler = [claimIdempotencyKey, ...hookList(route.preHandler)];
      route.onSend = [recordIdempotentAnswer, ...hookList(route.onSend)];
    }
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

  await registerConsole(app);
  registerRoutes(app, deps);
  await app.ready();
  return app;
}

/** A route's hook option (absent, one function or a list) as a list. */
function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}
