import { z } from 'zod';
import { MetadataSchema } from '../oauth-apps/schemas.js';

export const StartAuthBody = z.strictObject({
  oauth_app_id: z
    .string()
    .max(100)
    .optional()
    .describe('The credvault OAuth app (required for OAuth kinds and github_app).'),
  credential_kind: z.string().max(100).describe('A kind or alias; canonical in the answer.'),
  redirect_url: z
    .string()
    .max(2000)
    .describe("Where the browser goes at the end; one of the OAuth app's redirect_urls (exact match)."),
  state: z
    .unknown()
    .optional()
    .describe('Any JSON value (at most 5 KiB serialized), echoed at the exchange, never in a URL.'),
  name: z.string().max(500).optional(),
  metadata: MetadataSchema.optional(),
  scopes: z.array(z.string().min(1).max(200)).max(50).optional().describe("Added to the kind's default scopes."),
  properties: z
    .record(z.string(), z.string().max(500))
    .optional()
    .describe(
      'Non-secret fields needed before consent: shop (Shopify), instance_url (ServiceNow), host and tenant (Workday).',
    ),
  credential_id: z
    .string()
    .max(100)
    .optional()
    .describe('Re-authorize this credential: the flow must end on the same provider account.'),
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(3600)
    .default(300)
    .describe('Seconds the link (and then the flow) stays valid.'),
});
export type StartAuthInput = z.infer<typeof StartAuthBody>;

export const StartAuthAnswer = z.object({ start_url: z.string(), expires_at: z.string() });

export const ExchangeBody = z.strictObject({
  code: z.string().max(200),
  client_id: z.string().max(200).optional().describe('The credvault id of the OAuth app of the flow.'),
  client_secret: z.string().max(8000).optional().describe("That app's provider client secret."),
});

export const ExchangeAnswer = z.object({
  credential: z.object({ oauth_app_id: z.string().nullable(), properties: z.record(z.string(), z.unknown()) }),
  credential_id: z.string(),
  state: z.unknown(),
});

export const SESSION_STATUSES = ['pending', 'authorizing', 'completed', 'failed', 'expired'] as const;

export const ConnectSessionSchema = z.object({
  id: z.string(),
  status: z.enum(SESSION_STATUSES),
  credential_kind: z.string(),
  provider: z.string(),
  oauth_app_id: z.string().nullable(),
  credential_id: z.string().nullable(),
  error: z.object({ reason: z.string(), message: z.string() }).nullable(),
  expires_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ConnectSessionView = z.infer<typeof ConnectSessionSchema>;

export const ListSessionsQuery = z.strictObject({
  status: z.enum(SESSION_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});
