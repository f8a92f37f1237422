import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CredentialService } from '../../credentials/service.js';
import {
  CredentialListSchema,
  CredentialSchema,
  CredentialSummarySchema,
  DeletedSchema,
  ImportCredentialBody,
  ListCredentialsQuery,
  PatchCredentialBody,
} from '../../credentials/schemas.js';
import { IdParams, commonErrors, etag, parseIfMatch, authOf } from './common.js';
import { z } from 'zod';
import { RevokeFailedError, type Revoker } from '../../connect/revoke.js';

const tags = ['credentials'];

const DeleteCredentialQuery = z.strictObject({
  revoke: z
    .enum(['true', 'false'])
    .optional()
    .describe('Revoke the grant at the provider first, where the provider has a revocation endpoint.'),
  force: z
    .enum(['true', 'false'])
    .optional()
    .describe('With revoke=true: delete even when the provider did not confirm the revocation.'),
});
const RevokedSchema = z.object({
  id: z.string(),
  deleted: z.boolean(),
  revoked: z.boolean(),
  revoke_note: z.string().nullable(),
});

export function credentialRoutes(app: FastifyInstance, credentials: CredentialService, revoke: Revoker): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/credentials', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'importCredential',
      summary: 'Import a credential (idempotent upsert on the provider account)',
      body: ImportCredentialBody,
      response: { 200: CredentialSchema, 409: commonErrors[422], ...commonErrors },
    },
    handler: async (req) => credentials.importCredential(authOf(req).accountId, req.body),
  });

  r.get('/v1/credentials', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'listCredentials',
      summary: 'List credentials, newest first',
      querystring: ListCredentialsQuery,
      response: { 200: CredentialListSchema, ...commonErrors },
    },
    handler: async (req) => credentials.list(authOf(req).accountId, req.query),
  });

  r.get('/v1/credentials/summary', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'getCredentialSummary',
      summary: 'Counts by provider and health status, and the most recently broken credentials',
      response: { 200: CredentialSummarySchema, ...commonErrors },
    },
    handler: async (req) => credentials.summary(authOf(req).accountId),
  });

  r.get('/v1/credentials/:id', {
    config: { scope: 'credentials:read', docs: { responseHeaders: ['ETag'] } },
    schema: {
      tags,
      operationId: 'getCredential',
      summary: 'Get a credential',
      params: IdParams,
      response: { 200: CredentialSchema, ...commonErrors },
    },
    handler: async (req, reply) => {
      const { version, ...view } = await credentials.get(authOf(req).accountId, req.params.id);
      void reply.header('etag', etag(version));
      return view;
    },
  });

  r.patch('/v1/credentials/:id', {
    config: { scope: 'credentials:write', docs: { requestHeaders: ['If-Match'], responseHeaders: ['ETag'] } },
    schema: {
      tags,
      operationId: 'updateCredential',
      summary: 'Change a credential name or metadata (If-Match optional)',
      params: IdParams,
      body: PatchCredentialBody,
      response: { 200: CredentialSchema, 412: commonErrors[422], ...commonErrors },
    },
    handler: async (req, reply) => {
      const ifMatch = parseIfMatch(req.headers['if-match']);
      const { version, ...view } = await credentials.update(authOf(req).accountId, req.params.id, req.body, ifMatch);
      void reply.header('etag', etag(version));
      return view;
    },
  });

  r.delete('/v1/credentials/:id', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'deleteCredential',
      summary: 'Delete a credential; with revoke=true, revoke its grant at the provider first (docs: Connect)',
      params: IdParams,
      querystring: DeleteCredentialQuery,
      response: { 200: z.union([RevokedSchema, DeletedSchema]), 502: RevokedSchema, ...commonErrors },
    },
    handler: async (req, reply) => {
      const { accountId, tokenId: actor } = authOf(req);
      if (req.query.revoke !== 'true') return credentials.remove(accountId, req.params.id, actor);
      try {
        return await revoke(accountId, req.params.id, req.query.force === 'true', actor);
      } catch (err) {
        if (err instanceof RevokeFailedError) return reply.code(502).send(err.answer);
        throw err;
      }
    },
  });
}
