import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from '../../accounts/service.js';
import { SCOPES } from '../../accounts/tokens.js';
import { isoSeconds } from '../../lib/clock.js';
import { isUuid } from '../../lib/ids.js';
import { NotFoundError } from '../../lib/errors.js';
import { component } from '../openapi/registry.js';
import { IdParams, commonErrors, authOf } from './common.js';

const ScopeSchema = z.enum(SCOPES);
const TokenView = component(
  'ApiToken',
  z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(ScopeSchema),
    created_at: z.string(),
  }),
);
const IssuedToken = component(
  'IssuedApiToken',
  TokenView.extend({ token: z.string().describe('The plaintext token: shown only in this answer.') }),
);
const AccountView = component('Account', z.object({ id: z.string(), name: z.string(), created_at: z.string() }));
const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

function viewToken<T extends { created_at: Date }>(t: T): Omit<T, 'created_at'> & { created_at: string } {
  return { ...t, created_at: isoSeconds(t.created_at) };
}

export function accountRoutes(app: FastifyInstance, accounts: AccountService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/v1/accounts/me', {
    config: { scope: 'credentials:read' },
    schema: {
      tags: ['accounts'],
      operationId: 'getMyAccount',
      summary: "The caller's account, and the calling token's id and scopes",
      response: {
        200: component(
          'MyAccount',
          AccountView.extend({ token: z.object({ id: z.string(), scopes: z.array(ScopeSchema) }) }),
        ),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const auth = authOf(req);
      const account = viewToken(await accounts.getAccount(auth.accountId));
      // Scopes in their canonical order, so the console (and scripts) can show what a token may do.
      return { ...account, token: { id: auth.tokenId, scopes: SCOPES.filter((s) => auth.scopes.has(s)) } };
    },
  });

  r.post('/v1/accounts', {
    config: { scope: 'admin', secretAnswer: true },
    schema: {
      tags: ['accounts'],
      operationId: 'createAccount',
      summary: 'Create an account and its first token (admin)',
      body: z.strictObject({ name: z.string().min(1).max(200) }),
      response: { 201: component('CreatedAccount', AccountView.extend({ token: IssuedToken })), ...commonErrors },
    },
    handler: async (req, reply) => {
      const a = await accounts.createAccount(req.body.name);
      void reply.code(201);
      return { id: a.id, name: a.name, created_at: isoSeconds(a.created_at), token: viewToken(a.token) };
    },
  });

  r.post('/v1/api-tokens', {
    config: { scope: 'tokens:manage', secretAnswer: true },
    schema: {
      tags: ['api-tokens'],
      operationId: 'createApiToken',
      summary: "Create an API token (scopes no wider than the caller's)",
      body: z.strictObject({ name: z.string().min(1).max(200), scopes: z.array(ScopeSchema).min(1) }),
      response: { 201: IssuedToken, ...commonErrors },
    },
    handler: async (req, reply) => {
      const auth = authOf(req);
      // Audited by the service, in the token's transaction.
      const t = await accounts.createToken(auth, req.body.name, req.body.scopes);
      void reply.code(201);
      return viewToken(t);
    },
  });

  r.get('/v1/api-tokens', {
    config: { scope: 'tokens:manage' },
    schema: {
      tags: ['api-tokens'],
      operationId: 'listApiTokens',
      summary: 'List API tokens (never the plaintext)',
      querystring: PageQuery,
      response: {
        200: component('ApiTokenList', z.object({ data: z.array(TokenView), next_cursor: z.string().nullable() })),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const page = await accounts.listTokens(authOf(req).accountId, req.query.limit, req.query.cursor);
      return { data: page.data.map(viewToken), next_cursor: page.next_cursor };
    },
  });

  r.delete('/v1/api-tokens/:id', {
    config: { scope: 'tokens:manage' },
    schema: {
      tags: ['api-tokens'],
      operationId: 'revokeApiToken',
      summary: 'Revoke an API token at once (not one with scopes the caller lacks, nor the last admin token)',
      params: IdParams,
      response: {
        200: component('RevokedApiToken', z.object({ id: z.string(), revoked: z.literal(true) })),
        409: commonErrors[422],
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const auth = authOf(req);
      if (!isUuid(req.params.id)) throw new NotFoundError('API token');
      await accounts.revokeToken(auth, req.params.id);
      return { id: req.params.id, revoked: true as const };
    },
  });
}
