import type { KindSpec } from './types.js';

/**
 * Folds what a provider answered (identify's or refresh's `learned`) into a credential's
 * properties: only the fields the kind declares `learnable` are kept, never a secret. The one
 * place a provider's answer becomes stored properties (check, refresh, import-time identify).
 */
export function mergeLearned(
  spec: Pick<KindSpec, 'learnable'>,
  properties: Record<string, unknown>,
  learned: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const out = { ...properties };
  const learnable: readonly string[] = spec.learnable;
  for (const [k, v] of Object.entries(learned ?? {})) if (learnable.includes(k)) out[k] = v;
  return out;
}
