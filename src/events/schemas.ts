import { z } from 'zod';

export const EventSchema = z
  .object({
    id: z.string().describe('UUID v7: sorts by creation; the webhook-id of its deliveries'),
    type: z.string().describe('e.g. credential.created, credential.health_changed, oauth_app.deleted'),
    created_at: z.string(),
    data: z
      .record(z.string(), z.unknown())
      .describe(
        'The object after the change as the API presents it (secrets masked), plus previous_status where the type says so',
      ),
  })
  .describe('Event');
export type EventView = z.infer<typeof EventSchema>;

/** `credential.created` or `credential.*`. */
export const EventTypeFilter = z
  .string()
  .max(100)
  .regex(
    /^[a-z_]+(\.[a-z_]+|\.\*)$/,
    'must be an event type such as credential.created, or a prefix such as credential.*',
  );

export const ListEventsQuery = z.strictObject({
  type: EventTypeFilter.optional(),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('ISO 8601 time: events from then on, oldest first (otherwise newest first)'),
  credential_id: z
    .string()
    .max(100)
    .optional()
    .describe("A credential's history: only the credential.* events of this credential (its id)"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type ListEventsInput = z.infer<typeof ListEventsQuery>;

export const EventListSchema = z.object({ data: z.array(EventSchema), next_cursor: z.string().nullable() });
