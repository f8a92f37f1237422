/**
 * Connect routes (docs: Connect): start-auth and the flow records under /v1 (API tokens), and
 * the browser's /link pages, which carry their own authority (link, state, cookie, CSRF) and
 * are rate limited per client address. /link requests are logged at warn only: their URLs hold
 * the link token, the state and the code.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type AccountService, requireScope } from '../../accounts/service.js';
import type { ConnectFlow, Outcome } from '../../connect/flow.js';
import { PAGE_HEADERS, formPolicy, messagePage } from '../../connect/html.js';
import {
  ConnectSessionSchema,
  ExchangeAnswer,
  ExchangeBody,
  ListSessionsQuery,
  StartAuthAnswer,
  StartAuthBody,
} from '../../connect/schemas.js';
import type { ConnectService } from '../../connect/service.js';
import { readCookie } from '../../connect/tokens.js';
import { IdParams, authOf, commonErrors } from './common.js';

export interface ConnectRouteDeps {
  connect: ConnectService;
  connectFlow: ConnectFlow;
  accounts: AccountService;
  /** Requests a minute per client address on /link (0 = off). */
  linkRateLimitPerMinute: number;
}

const tags = ['connect'];
const param = () => z.string().max(4000).optional();
/** What providers send back (RFC 6749 §4.1.2; Shopify's signed extras; QuickBooks' realmId; GitHub's installation); others are read too. */
const CallbackQuery = z.looseObject({
  state: param(),
  code: param(),
  error: param(),
  error_description: param(),
  shop: param(),
  hmac: param(),
  timestamp: param(),
  realmId: param(),
  installation_id: param(),
  setup_action: param(),
});
const LINK = { logLevel: 'warn' as const };

/** Fixed one-minute windows per client address. */
function linkLimiter(perMinute: number) {
  let windowStart = 0;
  const counts = new Map<string, number>();
  return (ip: string, now: number): boolean => {
    if (perMinute <= 0) return true;
    if (now - windowStart >= 60_000) {
      windowStart = now;
      counts.clear();
    }
    const n = (counts.get(ip) ?? 0) + 1;
    counts.set(ip, n);
    return n <= perMinute;
  };
}

function render(reply: FastifyReply, o: Outcome): FastifyReply {
  void reply.headers(PAGE_HEADERS);
  if ('cookie' in o && o.cookie !== undefined) void reply.header('set-cookie', o.cookie);
  if (o.type === 'redirect') return reply.code(302).header('location', o.url).send('');
  if (o.formTarget !== undefined) void reply.header('content-security-policy', formPolicy(o.formTarget));
  return reply.code(o.status).send(o.html);
}

export function connectRoutes(app: FastifyInstance, d: ConnectRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const allow = linkLimiter(d.linkRateLimitPerMinute);
  const limited = (req: FastifyRequest, reply: FastifyReply): boolean => {
    if (allow(req.ip, Date.now())) return false;
    void render(reply.header('retry-after', '60'), {
      type: 'page',
      status: 429,
      html: messagePage('Too many requests', ['Wait a minute, then try again.']),
    });
    return true;
  };
  const cookies = (req: FastifyRequest) => (name: string) => readCookie(req.headers.cookie, name);

  r.post('/v1/credentials/start-auth', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      summary: 'Start a Connect flow: a single-use link to send the user to',
      body: StartAuthBody,
      response: { 200: StartAuthAnswer, ...commonErrors },
    },
    handler: async (req) => d.connect.startAuth(authOf(req).accountId, authOf(req).tokenId, req.body),
  });

  r.get('/v1/connect-sessions', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      summary: 'List Connect flows, newest first',
      querystring: ListSessionsQuery,
      response: {
        200: z.object({ data: z.array(ConnectSessionSchema), next_cursor: z.string().nullable() }),
        ...commonErrors,
      },
    },
    handler: async (req) => d.connect.list(authOf(req).accountId, req.query),
  });

  r.get('/v1/connect-sessions/:id', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      summary: 'Get a Connect flow: status and, when it failed, why',
      params: IdParams,
      response: { 200: ConnectSessionSchema, ...commonErrors },
    },
    handler: async (req) => d.connect.get(authOf(req).accountId, req.params.id),
  });

  r.post('/link/oauth2/token', {
    ...LINK,
    schema: {
      tags,
      summary: "Sequin's exchange: the code from the redirect for the stored credential (masked)",
      description:
        "client_id is the credvault id of the flow's OAuth app and client_secret its provider secret; a flow without an app takes an API token with credentials:read instead.",
      security: [],
      body: ExchangeBody,
      response: {
        200: ExchangeAnswer,
        401: commonErrors[401],
        404: commonErrors[404],
        422: commonErrors[422],
        429: commonErrors[429],
      },
    },
    handler: async (req, reply) => {
      if (!allow(req.ip, Date.now()))
        return reply
          .code(429)
          .header('retry-after', '60')
          .send({ summary: 'Too many requests from this address; retry in a minute.' });
      return d.connect.exchange(req.body, async () => {
        if (req.headers.authorization === undefined) return undefined;
        const auth = await d.accounts.authenticate(req.headers.authorization);
        requireScope(auth, 'credentials:read');
        return auth.accountId;
      });
    },
  });

  r.get('/link/oauth2/start/:token', {
    ...LINK,
    config: {
      docs: {
        html: {
          '200': "The key form (key kinds): the person enters the provider's key here.",
          '302': "To the provider's consent page (OAuth kinds and GitHub App installs).",
          '404': 'Page: this link does not exist.',
          '410': 'Page: this link was used already or has expired; ask for a new one.',
          '429': 'Page: too many requests from this address; wait a minute.',
        },
      },
    },
    schema: {
      tags,
      summary: 'The start link: consumes it and sends the browser on (HTML or 302)',
      security: [],
      params: z.object({ token: z.string().max(200) }),
    },
    handler: async (req, reply) =>
      limited(req, reply) ? reply : render(reply, await d.connectFlow.openLink(req.params.token)),
  });

  r.get('/link/oauth2/callback/:provider', {
    ...LINK,
    config: {
      docs: {
        html: {
          '302': 'Back to the redirect_url of the flow, with `code` (stored) or `error` and `error_description`.',
          '400': 'Page: this is not the answer to a flow in progress from this browser (state, cookie or provider).',
          '429': 'Page: too many requests from this address; wait a minute.',
        },
      },
    },
    schema: {
      tags,
      summary: "The provider's redirect back: checks, exchanges, stores, redirects to redirect_url",
      security: [],
      params: z.object({ provider: z.string().max(50) }),
      querystring: CallbackQuery,
    },
    handler: async (req, reply) => {
      if (limited(req, reply)) return reply;
      const query = new URLSearchParams(req.url.split('?')[1] ?? '');
      return render(reply, await d.connectFlow.callback(req.params.provider, query, cookies(req)));
    },
  });

  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
      },
    );
    scope.withTypeProvider<ZodTypeProvider>().post('/link/oauth2/form/:id', {
      ...LINK,
      config: {
        docs: {
          html: {
            '302': 'Checked and stored: back to the redirect_url of the flow, with `code`.',
            '400': 'Page: this form is not from a flow in progress in this browser (cookie or CSRF token).',
            '422': 'The form again, saying which fields the provider or the checks refused.',
            '429': 'Page: too many requests from this address; wait a minute.',
          },
        },
      },
      schema: {
        tags,
        summary: "credvault's key form for key kinds (form post, flow cookie and CSRF token)",
        security: [],
        params: IdParams,
        body: z.record(z.string(), z.string().max(8000)),
      },
      handler: async (req, reply) =>
        limited(req, reply)
          ? reply
          : render(reply, await d.connectFlow.submitForm(req.params.id, req.body, cookies(req))),
    });
  });
}
