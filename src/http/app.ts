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
import { type ZodTypeProvider, validatorCompiler } from 'fastify-type-provider-zod';
import type { AccountService, AuthContext } from '../accounts/service.js';
import type { Scope } from '../accounts/tokens.js';
import type { IdempotencyService } from '../idempotency/service.js';
import { requestHash } from '../idempotency/service.js';
import { ValidationError } from '../lib/errors.js';
import { createFastSerializerCompiler } from '../lib/json-serializer.js';
import { lazyChildLoggerFactory } from '../lib/lazy-logger.js';
import { registerConsole } from './console.js';
import { findUnstorable, hasUnstorable } from './unstorable.js';
import { jsonShapeViolation } from './json-limits.js';
import { handleError } from './errors.js';
import { createRequestAuth } from './request-auth.js';
import { installEdge } from './edge.js';
import { createProxyEndpoint } from './routes/proxy.js';
import { createAccessTokenEndpoint } from './routes/access-token.js';
import { type Logger, pino } from 'pino';
import type { ShutdownGate } from './shutdown.js';
import { registerRoutes, type Services } from './routes/index.js';
import { createOpenApiTransforms, type RouteDocs } from './openapi/document.js';
import './openapi/components.js';
import { API_DESCRIPTION, DOCS_UI } from './openapi/ui.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
    idempotencyKey?: string;
  }
  interface FastifyContextConfig {
    /** The scope a token needs for this route; routes without one are public. */
    scope?: Scope;
    /** Headers the route reads or answers, for the OpenAPI document (src/http/openapi/document.ts). */
    docs?: RouteDocs;
    /**
     * The success answer carries a secret (an access token, a new API token): never stored nor
     * replayed under an Idempotency-Key (a repeat answers 409), and sent with Cache-Control: no-store.
     */
    secretAnswer?: boolean;
    /** The body is the caller's, streamed elsewhere (the proxy): no Idempotency-Key claim, no body or query checks. */
    rawBody?: boolean;
    /** The handler checks the token and scope itself (the proxy endpoint, which also answers at the edge). */
    authenticatesItself?: boolean;
  }
}

export interface AppDeps extends Services {
  accounts: AccountService;
  idempotency: IdempotencyService;
  /** HMAC key of stored request hashes (see requestHash). */
  requestHashKey: string | Buffer;
  ping(): Promise<boolean>;
  rateLimitPerSecond: number;
  /** Failed authentications per address per minute before 429 (0 disables). */
  authFailureLimit?: number;
  /** Time a client has to send a whole request; slower connections are closed (408). */
  requestTimeoutMs?: number;
  logger: FastifyServerOptions['loggerInstance'] | boolean;
  /** Shutdown state: 503s in the error shape while closing (see http/shutdown.ts). */
  gate?: ShutdownGate;
}

export type App = FastifyInstance;

/** Builds the HTTP app; everything it uses is passed in. */
export async function buildApp(deps: AppDeps): Promise<App> {
  // One token, scope and rate-limit check for both doors: Fastify's hook and the proxy endpoint.
  const authenticate = createRequestAuth({
    accounts: deps.accounts,
    rateLimitPerSecond: deps.rateLimitPerSecond,
    authFailureLimit: deps.authFailureLimit ?? 60,
  });
  const proxyEndpoint = deps.proxy
    ? createProxyEndpoint({ ...deps.proxy, authenticate, ...(deps.gate ? { gate: deps.gate } : {}) })
    : undefined;
  // Slow clients (slowloris): the whole request within requestTimeoutMs, the headers within at
  // most 10 s of it, checked every second (Node checks every 30 s by default).
  const requestTimeout = deps.requestTimeoutMs ?? 30_000;
  const base = {
    requestTimeout,
    http: {
      headersTimeout: Math.min(requestTimeout, 10_000),
      requestTimeout,
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
    },
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
      // Answered before the hooks: the headers every answer carries are set here (as the edge does).
      void reply.header('x-request-id', req.id).header('cache-control', 'no-store');
      if (req.url.startsWith('/v1/proxy/credential/')) void reply.header('x-credvault-proxy-error', 'invalid_path');
      void reply.code(400).send({
        summary: req.url.startsWith('/v1/proxy/credential/')
          ? 'Invalid proxy path: the path has an invalid percent-encoding.'
          : 'The request path has an invalid percent-encoding.',
      });
    },
  };
  const app = (
    typeof deps.logger === 'object' && deps.logger !== null
      ? // Request children are made on the first line actually logged (see lazy-logger).
        Fastify({ ...base, loggerInstance: deps.logger, childLoggerFactory: lazyChildLoggerFactory })
      : Fastify({ ...base, logger: deps.logger === true })
  ).withTypeProvider<ZodTypeProvider>();
  // The use paths are answered before Fastify (edge.ts); the server keeps Fastify's options.
  installEdge(
    app.server,
    [
      ...(proxyEndpoint ? [proxyEndpoint] : []),
      createAccessTokenEndpoint({
        tokens: deps.tokens,
        authenticate,
        log:
          typeof deps.logger === 'object' && deps.logger !== null ? (deps.logger as Logger) : pino({ enabled: false }),
        ...(deps.gate ? { gate: deps.gate } : {}),
      }),
    ],
    randomUUID,
  );
  app.setValidatorCompiler(validatorCompiler);
  // Responses: zod schema → JSON Schema once → fast-json-stringify (still allowlisted), instead of a zod encode per answer.
  app.setSerializerCompiler(createFastSerializerCompiler());
  // Only JSON is accepted: without this, text/plain bodies would reach validation as strings.
  app.removeContentTypeParser('text/plain');
  // JSON within depth and width limits (json-limits.ts), then Fastify's own parser (which
  // refuses __proto__ and constructor poisoning).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const violation = jsonShapeViolation(text);
    if (violation !== undefined) {
      done(
        new ValidationError(
          { '(body)': [violation] },
          `The request body ${violation}; send a flatter or smaller JSON document.`,
        ),
        undefined,
      );
      return;
    }
    parseJson(req, text, done);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ summary: `No route ${req.method} ${req.url.split('?')[0] ?? ''}; see /docs.` });
  });

  const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

  // The hooks are callback-style and finish synchronously when they have nothing to wait for
  // (a cached token, no Idempotency-Key): no promise and no microtask hop per request.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    if (req.url.startsWith('/docs')) {
      void reply.header('x-content-type-options', 'nosniff');
      // The UI's files are one flat folder: any other name (.., %2e%2e, backslashes, NUL,
      // nested paths) is not one of them; answered 404 before the file server sees it.
      const path = req.url.split('?')[0] ?? '';
      if (path.startsWith('/docs/static/') && !/^\/docs\/static\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(path)) {
        void reply.code(404).send({ summary: 'No such file under /docs/static.' });
        return;
      }
    }
    done();
  });
  if (deps.gate) {
    app.addHook('onRequest', deps.gate.onRequest);
    app.addHook('onResponse', deps.gate.onResponse);
  }

  /** Token, scope and rate limit, for the routes that declare a scope (added by onRoute below). */
  const authenticateFor =
    (scope: Scope): onRequestHookHandler =>
    (req, reply, done) => {
      // Authenticated answers may reveal secrets (security.md): no cache may keep any of them.
      void reply.header('cache-control', 'no-store');
      authenticate(req.headers.authorization, req.ip, scope, (err, auth) => {
        if (auth) req.auth = auth;
        done(err);
      });
    };

  app.addHook('preValidation', (req, _reply, done) => {
    // A raw route's query and body are the caller's, passed on untouched (the proxy): never stored.
    if (req.routeOptions.config.rawBody === true || (!hasUnstorable(req.body) && !hasUnstorable(req.query))) {
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
    deps.idempotency.begin(auth, key, requestHash(deps.requestHashKey, req.method, path, req.body)).then(
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
    const withheld = req.routeOptions.config.secretAnswer === true && reply.statusCode < 300;
    const stored =
      reply.statusCode >= 500
        ? deps.idempotency.abandon(auth, key)
        : deps.idempotency.complete(
            auth,
            key,
            reply.statusCode,
            withheld ? null : typeof payload === 'string' ? payload : String(payload),
          );
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
    if (!scope || route.config?.authenticatesItself === true) return;
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
        description: API_DESCRIPTION,
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    ...createOpenApiTransforms(),
  });
  await app.register(fastifySwaggerUi, {
    ...DOCS_UI,
    // Its own CSP (with the hashes of its inline code), but never framed (clickjacking).
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/frame-ancestors [^;]*/, "frame-ancestors 'none'"),
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await deps.ping();
    return reply.code(ok ? 200 : 503).send(ok ? { status: 'ok' } : { summary: 'Storage is unreachable.' });
  });

  await registerConsole(app);
  registerRoutes(app, deps, proxyEndpoint);
  await app.ready();
  return app;
}

/** A route's hook option (absent, one function or a list) as a list. */
function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}
