import { z } from 'zod';
import { EmbeddedOAuthAppSchema, HealthSchema, MetadataSchema } from '../oauth-apps/schemas.js';
import { KINDS } from '../providers/registry.js';

/**
 * `properties` is polymorphic on `kind`; the route accepts any object with a `kind` string and
 * the service validates it against that kind's own schema, so every field error gets its path.
 */
export const PropertiesInput = z
  .looseObject({
    kind: z.string().describe(`One of ${KINDS.join(', ')} (or an alias such as stripe, salesforce, hubspot).`),
  })
  .describe('Credential properties; the fields depend on `kind` (see kinds.md).');

export const ImportCredentialBody = z.strictObject({
  properties: PropertiesInput,
  oauth_app_id: z.string().nullable().optional(),
  name: z.string().max(500).nullable().optional(),
  metadata: MetadataSchema.optional(),
});
export type ImportCredentialInput = z.infer<typeof ImportCredentialBody>;

export const PatchCredentialBody = z.strictObject({
  name: z.string().max(500).nullable().optional(),
  metadata: MetadataSchema.optional(),
});
export type PatchCredentialInput = z.infer<typeof PatchCredentialBody>;

export const ListCredentialsQuery = z.strictObject({
  provider: z.string().optional(),
  kind: z.string().optional(),
  oauth_app_id: z.string().optional(),
  'health.status': z.enum(['pending', 'ok', 'warn', 'error']).optional(),
  metadata: z.string().optional().describe('JSON object matched by containment, e.g. {"custom_property":42}'),
  name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Name search: credentials whose name contains this text, ignoring case (credvault addition)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
});
export type ListCredentialsInput = z.infer<typeof ListCredentialsQuery>;

export const CredentialSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  provider: z.string(),
  kind: z.string(),
  oauth_app_id: z.string().nullable(),
  oauth_app: EmbeddedOAuthAppSchema.nullable(),
  properties: z.record(z.string(), z.unknown()),
  health: HealthSchema,
  metadata: MetadataSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
export type CredentialView = z.infer<typeof CredentialSchema>;

export const CredentialListSchema = z.object({ data: z.array(CredentialSchema), next_cursor: z.string().nullable() });
const StatusCounts = {
  pending: z.number().int(),
  ok: z.number().int(),
  warn: z.number().int(),
  error: z.number().int(),
  total: z.number().int(),
};
export const CredentialSummarySchema = z.object({
  total: z.object(StatusCounts),
  providers: z.array(z.object({ provider: z.string(), ...StatusCounts })),
  recently_broken: z
    .array(
      z.object({
        id: z.string(),
        name: z.string().nullable(),
        provider: z.string(),
        kind: z.string(),
        status: z.enum(['pending', 'ok', 'warn', 'error']),
        notes: z.array(z.string()),
        since: z.string().describe('When the health last changed (ISO 8601, UTC)'),
      }),
    )
    .describe('Up to 10 credentials in error or warn, the most recently changed first'),
});
export const DeletedSchema = z.object({ id: z.string(), deleted: z.literal(true) });
