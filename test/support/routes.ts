/**
 * The routes the app serves, read from its own OpenAPI document: the isolation and fuzz tests
 * take their route lists from here, so a new route is covered without editing them.
 */
import type { Runtime } from '../../src/main.js';

export interface DocumentedRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** OpenAPI path, e.g. `/v1/credentials/{id}`. */
  path: string;
  hasBody: boolean;
}

interface OpenApiDoc {
  paths?: Record<string, Record<string, { requestBody?: unknown }>>;
}

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

export function documentedRoutes(rt: Runtime): DocumentedRoute[] {
  const doc = rt.app.swagger() as OpenApiDoc;
  const out: DocumentedRoute[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const m of METHODS) {
      const op = ops[m];
      if (op)
        out.push({ method: m.toUpperCase() as DocumentedRoute['method'], path, hasBody: op.requestBody !== undefined });
    }
  }
  return out;
}
