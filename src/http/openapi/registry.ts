/**
 * The zod schemas that appear in the OpenAPI document as named components
 * (`#/components/schemas/<id>`) instead of being inlined in every operation. A registry of its
 * own, not zod's global one: the response serializer (src/lib/json-serializer.ts) converts
 * schemas with the global registry and must keep getting plain inline JSON Schema.
 *
 * Descriptions given with `.describe()` live in the global registry; lookups fall back to it,
 * so they still reach the document.
 */
import { z } from 'zod';

interface ComponentMeta {
  id: string;
  description?: string;
  [key: string]: unknown;
}

class MetaWithFallback extends WeakMap<z.core.$ZodType, ComponentMeta> {
  override get(key: z.core.$ZodType): ComponentMeta | undefined {
    return super.get(key) ?? (z.globalRegistry._map.get(key) as ComponentMeta | undefined);
  }
}

export const openApiRegistry = z.registry<ComponentMeta>();
openApiRegistry._map = new MetaWithFallback();

/**
 * Names a schema as an OpenAPI component and returns it unchanged, e.g.
 * `export const WebhookSchema = component('Webhook', z.object({...}))`. Output schemas keep the
 * name; when the same schema is a request body its component is `<name>Input`.
 */
export function component<T extends z.core.$ZodType>(id: string, schema: T): T {
  if (openApiRegistry._idmap.get(id) !== schema) openApiRegistry.add(schema, { id });
  return schema;
}
