import type { FastifyInstance } from 'fastify';
import { type ZodTypeProvider, validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireScope } from '../../accounts/service.js';
import type { AuditService } from '../../audit/service.js';
import type { BulkItemResult } from '../../credentials/import.js';
import { CredentialSchema, ImportCredentialBody } from '../../credentials/schemas.js';
import type { CredentialService } from '../../credentials/service.js';
import { MetadataSchema } from '../../oauth-apps/schemas.js';
import { compileJsonSerializer } from '../../lib/json-serializer.js';
import { component } from '../openapi/registry.js';
import { ErrorBodySchema, commonErrors, authOf } from './common.js';

const tags = ['credentials'];
export const BULK_MAX_ITEMS = 1000;

const BulkImportBody = z.strictObject({
  items: z
    .array(ImportCredentialBody)
    .min(1)
    .max(BULK_MAX_ITEMS)
    .describe(`1 to ${BULK_MAX_ITEMS} import bodies, each exactly what POST /v1/credentials takes.`),
});

/**
 * What the body validator checks: only the envelope. Each item is checked on its own in the
 * handler, so one bad item answers its own 422 instead of failing the whole batch.
 */
const BulkEnvelope = z.strictObject({ items: z.array(z.unknown()).min(1).max(BULK_MAX_ITEMS) });

const BulkResultSchema = z.union([
  z.object({ index: z.number().int(), status: z.literal(200), credential: CredentialSchema }),
  z.object({
    index: z.number().int(),
    status: z.literal(200),
    id: z.string().describe('The credential id (answered instead of the credential under Prefer: return=minimal).'),
  }),
  z.object({ index: z.number().int(), status: z.literal(422), error: ErrorBodySchema }),
]);

export const BulkImportAnswer = component(
  'BulkImportAnswer',
  z
    .object({ results: z.array(BulkResultSchema) })
    .describe(
      'One result per item, in order: the credential (only its id under Prefer: return=minimal) or the error body a single import of that item would answer.',
    ),
);

const BulkHeaders = z.object({
  prefer: z
    .string()
    .optional()
    .describe('RFC 7240. `return=minimal`: imported items answer their credential id instead of the whole credential.'),
});

/** RFC 7240: `Prefer: return=minimal` asks for the ids only (what `credentials import` needs). */
function prefersMinimal(prefer: string | string[] | undefined): boolean {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  return values.some((v) =>
    v.split(',').some(
      (p) =>
        p
          .split(';')[0]
          ?.trim()
          .toLowerCase()
          .replace(/\s*=\s*/, '=') === 'return=minimal',
    ),
  );
}

const serializeCredential = compileOrThrow(CredentialSchema);
const serializeError = compileOrThrow(ErrorBodySchema);

function compileOrThrow(schema: z.ZodType): (data: unknown) => string {
  const compiled = compileJsonSerializer(schema);
  if (!compiled) throw new Error('The bulk answer serializer cannot be compiled.');
  return compiled;
}

/**
 * The bulk answer, written item by item with the compiled (allowlisted) serializers of the
 * credential and the error body: the general serializer falls back to zod for a union of
 * objects, which for 1,000 credentials cost more than importing them.
 */
function serializeBulkAnswer(results: BulkItemResult[], minimal: boolean): string {
  const parts = new Array<string>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (!r) continue;
    parts[i] =
      r.status === 200
        ? minimal
          ? `{"index":${r.index},"status":200,"id":${JSON.stringify(r.credential.id)}}`
          : `{"index":${r.index},"status":200,"credential":${serializeCredential(r.credential)}}`
        : `{"index":${r.index},"status":422,"error":${serializeError(r.error)}}`;
  }
  return `{"results":[${parts.join(',')}]}`;
}

const ExportQuery = z.strictObject({
  include_secrets: z
    .enum(['true', 'false'])
    .default('false')
    .describe('true answers secrets in plaintext: needs the secrets:reveal scope, audited per credential'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().optional(),
});

const ExportedCredentialSchema = component(
  'ExportedCredential',
  z
    .object({
      name: z.string().nullable(),
      properties: z.record(z.string(), z.unknown()),
      oauth_app_id: z.string().nullable(),
      metadata: MetadataSchema,
      error: z
        .object({ credential_id: z.string(), summary: z.string() })
        .optional()
        .describe(
          "Present when this credential's secrets cannot be decrypted: the item is not an import body then (its secrets are left out), and the rest of the page is unaffected.",
        ),
    })
    .describe(
      'An import body: POST /v1/credentials (or an item of /v1/credentials/bulk) accepts it unchanged (unless it carries `error`).',
    ),
);

const ExportAnswer = component(
  'ExportPage',
  z.object({ data: z.array(ExportedCredentialSchema), next_cursor: z.string().nullable() }),
);

export function bulkRoutes(app: FastifyInstance, credentials: CredentialService, audit: AuditService): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post('/v1/credentials/bulk', {
    config: { scope: 'credentials:write', docs: { responseHeaders: ['Preference-Applied'] } },
    bodyLimit: 16 * 1024 * 1024,
    // The body's validator checks the envelope only (see BulkEnvelope); headers as declared.
    validatorCompiler: ({ method, url, httpPart }) =>
      validatorCompiler({
        schema: httpPart === 'headers' ? BulkHeaders : BulkEnvelope,
        method,
        url,
        ...(httpPart ? { httpPart } : {}),
      }),
    schema: {
      tags,
      operationId: 'importCredentialsBulk',
      summary: `Import up to ${BULK_MAX_ITEMS} credentials in one request (each item an idempotent upsert)`,
      description:
        'Every item is validated and imported exactly as POST /v1/credentials would, and answers its own status (200 or 422) at its index. Items naming the same provider account answer the same credential; the later item wins. The request as a whole is 422 only when `items` is missing, empty or longer than 1000. With the header `Prefer: return=minimal` (RFC 7240) an imported item answers its credential `id` instead of the whole credential, and the answer carries `Preference-Applied: return=minimal`.',
      headers: BulkHeaders,
      body: BulkImportBody,
      response: { 200: BulkImportAnswer, ...commonErrors },
    },
    handler: async (req, reply) => {
      const accountId = authOf(req).accountId;
      const minimal = prefersMinimal(req.headers.prefer);
      const results = await credentials.importBodies(accountId, req.body.items);
      if (minimal) void reply.header('preference-applied', 'return=minimal');
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .serializer((answer: { results: BulkItemResult[] }) => serializeBulkAnswer(answer.results, minimal))
        .send({ results });
    },
  });

  r.get('/v1/credentials/export', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'exportCredentials',
      summary:
        'Export credentials as import bodies, newest first (plaintext secrets with include_secrets=true and secrets:reveal)',
      description:
        'Each item of `data` is an import body that POST /v1/credentials accepts unchanged. Without include_secrets, secrets are the mask, which re-imports into the same account as "keep the stored value". With include_secrets=true (scope secrets:reveal) they are plaintext, and one audit event `credential.secret_revealed` is written per credential, naming the fields, never the values.',
      querystring: ExportQuery,
      response: { 200: ExportAnswer, ...commonErrors },
    },
    handler: async (req) => {
      const auth = authOf(req);
      const includeSecrets = req.query.include_secrets === 'true';
      if (includeSecrets) requireScope(auth, 'secrets:reveal');
      return credentials.exportPage(auth.accountId, {
        includeSecrets,
        limit: req.query.limit,
        cursor: req.query.cursor,
        // One statement for the page's events (up to 500): written before any plaintext is answered.
        onReveal: (revealed) =>
          audit.recordMany(
            revealed.map(({ id, fields }) => ({
              accountId: auth.accountId,
              actorTokenId: auth.tokenId,
              action: 'credential.secret_revealed',
              credentialId: id,
              detail: { via: 'export', fields },
            })),
          ),
      });
    },
  });
}
