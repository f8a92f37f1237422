/**
 * The kinds credvault knows, read from the server's own OpenAPI document (one list, on the
 * server): each `...Properties` component names its kind (the first value of `kind`), its
 * provider and whether an OAuth app is required (docs/console.md, "Connect").
 */
import { useQuery } from '@tanstack/react-query';

export interface KindInfo {
  kind: string;
  provider: string;
  appRequired: boolean;
}

interface Doc {
  components?: { schemas?: Record<string, { description?: string; properties?: { kind?: { enum?: string[] } } }> };
}

export function kindsOf(doc: unknown): KindInfo[] {
  const schemas = (doc as Doc | undefined)?.components?.schemas ?? {};
  const out: KindInfo[] = [];
  for (const [name, s] of Object.entries(schemas)) {
    const kind = s.properties?.kind?.enum?.[0];
    if (!name.endsWith('Properties') || !kind) continue;
    const m = /^An? (\S+) credential of kind/.exec(s.description ?? '');
    out.push({
      kind,
      provider: m?.[1] ?? kind.split('_')[0] ?? kind,
      appRequired: /OAuth app required/.test(s.description ?? ''),
    });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind));
}

/** The OpenAPI document, fetched once per session (same origin, no token needed). */
export function useApiDocument() {
  return useQuery({
    queryKey: ['openapi'],
    queryFn: () => fetch('/openapi.json').then((r) => r.json() as Promise<unknown>),
    staleTime: Infinity,
  });
}
