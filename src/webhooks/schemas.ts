import { z } from 'zod';
import { EventTypeFilter } from '../events/schemas.js';

const EventTypes = z
  .array(EventTypeFilter)
  .max(50)
  .describe('Exact types or prefix.* filters; empty or absent means every type');

export const CreateEndpointBody = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(2000)
    .describe('https URL (or an origin in CREDVAULT_WEBHOOK_ALLOWED_ORIGINS); no credentials in it'),
  description: z.string().max(500).nullable().optional(),
  event_types: EventTypes.optional(),
  enabled: z.boolean().optional(),
});
export type CreateEndpointInput = z.infer<typeof CreateEndpointBody>;

export const PatchEndpointBody = z.strictObject({
  url: z.string().min(1).max(2000).optional(),
  description: z.string().max(500).nullable().optional(),
  event_types: EventTypes.optional(),
  enabled: z.boolean().optional(),
});
export type PatchEndpointInput = z.infer<typeof PatchEndpointBody>;

export const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .describe('Why credvault disabled the endpoint (410 Gone, 3 days of failures)'),
    previous_secret_expires_at: z
      .string()
      .nullable()
      .describe('Until then deliveries carry a signature with the previous secret too'),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .describe('WebhookEndpoint');
export type EndpointView = z.infer<typeof EndpointSchema>;

export const EndpointWithSecretSchema = EndpointSchema.extend({
  secret: z.string().describe('The signing secret (whsec_...): shown only in this answer'),
}).describe('WebhookEndpointWithSecret');

export const EndpointListSchema = z.object({ data: z.array(EndpointSchema), next_cursor: z.string().nullable() });

export const ListEndpointsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});

export const AttemptSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    attempted_at: z.string(),
    status_code: z.number().int().nullable().describe('null on a network error or timeout'),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    response_excerpt: z.string().nullable().describe('The first 1 KiB of the answer'),
  })
  .describe('WebhookDeliveryAttempt');
export type AttemptView = z.infer<typeof AttemptSchema>;

export const ListDeliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  status: z.enum(['succeeded', 'failed']).optional().describe('succeeded: a 2xx answer; failed: anything else'),
});
export type ListDeliveriesInput = z.infer<typeof ListDeliveriesQuery>;

export const AttemptListSchema = z.object({ data: z.array(AttemptSchema), next_cursor: z.string().nullable() });

export const ReplayBody = z.strictObject({
  since: z.iso
    .datetime({ offset: true })
    .describe('Queue again every event since then that matches the endpoint (within retention)'),
});

export const ReplaySchema = z.object({ queued: z.number().int() });
export const TestSchema = z.object({ event_id: z.string() });
