import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditService } from '../../audit/service.js';
import type { CredentialService } from '../../credentials/service.js';
import { CredentialSchema } from '../../credentials/schemas.js';
import type { HealthService } from '../../health/service.js';
import type { TokenService } from '../../tokens/service.js';
import { component } from '../openapi/registry.js';
import { accessTokenRoute } from './access-token.js';
import { IdParams, commonErrors, authOf } from './common.js';

const tags = ['health'];

const HealthReportBody = z.strictObject({
  status_code: z.number().int().min(100).max(599).describe('The HTTP status the provider answered you, e.g. 401.'),
  detail: z.string().max(2000).optional().describe('What you saw; not stored (it could hold provider data).'),
});

const AuditEventSchema = component(
  'AuditEvent',
  z.object({
    id: z.string(),
    action: z.string(),
    actor_token_id: z.string().nullable(),
    credential_id: z.string().nullable(),
    oauth_app_id: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()),
    created_at: z.string(),
  }),
);

const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});

export function healthRoutes(
  app: FastifyInstance,
  health: HealthService,
  tokens: TokenService,
  credentials: CredentialService,
  audit: AuditService,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const view = async (accountId: string, id: string) => {
    const { version: _version, ...v } = await credentials.get(accountId, id);
    return v;
  };

  r.post('/v1/credentials/:id/check', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'checkCredential',
      summary: 'Check the credential against its provider now (refreshing first when due)',
      params: IdParams,
      response: { 200: CredentialSchema, 503: commonErrors[500], ...commonErrors },
    },
    handler: async (req) => {
      const accountId = authOf(req).accountId;
      await health.checkNow(accountId, req.params.id);
      return view(accountId, req.params.id);
    },
  });

  r.post('/v1/credentials/:id/health-reports', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'reportCredentialHealth',
      summary: 'Report that the provider refused this credential; triggers a check at once',
      params: IdParams,
      body: HealthReportBody,
      response: { 200: CredentialSchema, 503: commonErrors[500], ...commonErrors },
    },
    handler: async (req) => {
      const accountId = authOf(req).accountId;
      await health.report(accountId, req.params.id, req.body.status_code, authOf(req).tokenId);
      return view(accountId, req.params.id);
    },
  });

  accessTokenRoute(app, tokens, tags);

  r.get('/v1/audit-events', {
    config: { scope: 'credentials:read' },
    schema: {
      tags: ['audit'],
      operationId: 'listAuditEvents',
      summary: 'Audit events of this account, newest first (never secret values)',
      querystring: PageQuery,
      response: {
        200: component(
          'AuditEventList',
          z.object({ data: z.array(AuditEventSchema), next_cursor: z.string().nullable() }),
        ),
        ...commonErrors,
      },
    },
    handler: async (req) => audit.list(authOf(req).accountId, req.query.limit, req.query.cursor),
  });
}
