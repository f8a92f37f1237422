import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireScope } from '../../accounts/service.js';
import { DeletedSchema } from '../../credentials/schemas.js';
import { CreateOAuthAppBody, OAuthAppSchema, PatchOAuthAppBody, ProviderSchema } from '../../oauth-apps/schemas.js';
import type { OAuthAppService } from '../../oauth-apps/service.js';
import { ValidationError } from '../../lib/errors.js';
import { component } from '../openapi/registry.js';
import { IdParams, commonErrors, authOf } from './common.js';

const tags = ['oauth-apps'];

const ListOAuthAppsQuery = z.strictObject({
  provider: ProviderSchema.optional(),
  metadata: z.string().optional().describe('JSON object matched by containment'),
  truncate_secrets: z.enum(['true', 'false']).default('true').describe('false needs the secrets:reveal scope'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

function parseMetadata(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError({ metadata: ['must be a JSON object, e.g. {"team":"billing"}'] });
}

export function oauthAppRoutes(app: FastifyInstance, oauthApps: OAuthAppService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/oauth-apps', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'createOAuthApp',
      summary: 'Create an OAuth app',
      body: CreateOAuthAppBody,
      response: { 200: OAuthAppSchema, ...commonErrors },
    },
    handler: async (req) => oauthApps.create(authOf(req).accountId, req.body),
  });

  r.get('/v1/oauth-apps', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'listOAuthApps',
      summary: 'List OAuth apps, newest first',
      querystring: ListOAuthAppsQuery,
      response: {
        200: component('OAuthAppList', z.object({ data: z.array(OAuthAppSchema), next_cursor: z.string().nullable() })),
        ...commonErrors,
      },
    },
    handler: async (req) => {
      const reveal = req.query.truncate_secrets === 'false';
      if (reveal) requireScope(authOf(req), 'secrets:reveal');
      const metadata = parseMetadata(req.query.metadata);
      return oauthApps.list(authOf(req).accountId, {
        ...(req.query.provider ? { provider: req.query.provider } : {}),
        ...(metadata ? { metadata } : {}),
        limit: req.query.limit,
        ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
        revealSecrets: reveal,
        actorTokenId: authOf(req).tokenId,
      });
    },
  });

  r.get('/v1/oauth-apps/:id', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'getOAuthApp',
      summary: 'Get an OAuth app',
      params: IdParams,
      response: { 200: OAuthAppSchema, ...commonErrors },
    },
    handler: async (req) => oauthApps.get(authOf(req).accountId, req.params.id),
  });

  r.patch('/v1/oauth-apps/:id', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'updateOAuthApp',
      summary: 'Change an OAuth app',
      params: IdParams,
      body: PatchOAuthAppBody,
      response: { 200: OAuthAppSchema, ...commonErrors },
    },
    handler: async (req) => oauthApps.update(authOf(req).accountId, req.params.id, req.body, authOf(req).tokenId),
  });

  r.delete('/v1/oauth-apps/:id', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'deleteOAuthApp',
      summary: 'Delete an OAuth app (409 while credentials use it)',
      params: IdParams,
      response: { 200: DeletedSchema, 409: commonErrors[422], ...commonErrors },
    },
    handler: async (req) => oauthApps.remove(authOf(req).accountId, req.params.id, authOf(req).tokenId),
  });
}
