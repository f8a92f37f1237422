/**
 * The credential service: import and export (import.ts, export.ts, prepared by prepare.ts), and
 * reading, listing, updating and deleting credentials.
 */
import { readHealth } from '../health/model.js';
import { AppError, NotFoundError, ValidationError, type ValidationErrors } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { createExportOperations } from './export.js';
import { createImportOperations } from './import.js';
import { type CredentialServiceDeps, createImportPreparation } from './prepare.js';
import { presentCredential } from './present.js';
import type { CredentialView, ListCredentialsInput, PatchCredentialInput } from './schemas.js';

export type { CredentialServiceDeps, ProvenIdentity } from './prepare.js';
export { AccountMismatchError, type ImportOptions } from './import.js';

export function createCredentialService(deps: CredentialServiceDeps) {
  const { repo, clock } = deps;
  const { prepareImport, findAppIn } = createImportPreparation(deps);

  return {
    ...createImportOperations(deps, prepareImport, findAppIn),
    ...createExportOperations(deps),

    async get(accountId: string, id: string): Promise<CredentialView & { version: number }> {
      if (!isUuid(id)) throw new NotFoundError('credential');
      const row = await repo.get(accountId, id);
      if (!row) throw new NotFoundError('credential');
      return { ...presentCredential(row, row.app), version: row.version };
    },

    async list(accountId: string, q: ListCredentialsInput) {
      const errors: ValidationErrors = {};
      let metadata: Record<string, unknown> | undefined;
      if (q.metadata !== undefined) {
        try {
          const v: unknown = JSON.parse(q.metadata);
          if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
          metadata = v as Record<string, unknown>;
        } catch {
          errors.metadata = ['must be a JSON object, e.g. {"custom_property":42}'];
        }
      }
      const kind = q.kind ? deps.resolveKind(q.kind)?.kind : undefined;
      if (q.kind && !kind) errors.kind = ['is not a known kind'];
      if (q.oauth_app_id !== undefined && !isUuid(q.oauth_app_id)) errors.oauth_app_id = ['must be a UUID'];
      if (Object.keys(errors).length > 0) throw new ValidationError(errors);
      const page = await repo.list(
        accountId,
        {
          ...(q.provider ? { provider: q.provider } : {}),
          ...(kind ? { kind } : {}),
          ...(q.oauth_app_id ? { oauthAppId: q.oauth_app_id } : {}),
          ...(q['health.status'] ? { healthStatus: q['health.status'] } : {}),
          ...(metadata ? { metadata } : {}),
          ...(q.name ? { name: q.name } : {}),
        },
        q.limit,
        q.cursor,
      );
      return { data: page.rows.map((r) => presentCredential(r, r.app)), next_cursor: page.next_cursor };
    },

    /** Health counts per provider and the most recently broken credentials (console overview). */
    async summary(accountId: string) {
      const { counts, recent } = await repo.summarize(accountId, 10);
      const byProvider = new Map<
        string,
        { provider: string; pending: number; ok: number; warn: number; error: number; total: number }
      >();
      for (const c of counts) {
        const entry = byProvider.get(c.provider) ?? {
          provider: c.provider,
          pending: 0,
          ok: 0,
          warn: 0,
          error: 0,
          total: 0,
        };
        const status = readHealth({ status: c.health_status }, clock.now()).status;
        entry[status] += c.count;
        entry.total += c.count;
        byProvider.set(c.provider, entry);
      }
      const providers = [...byProvider.values()];
      const total = { pending: 0, ok: 0, warn: 0, error: 0, total: 0 };
      for (const p of providers) for (const k of ['pending', 'ok', 'warn', 'error', 'total'] as const) total[k] += p[k];
      return {
        total,
        providers,
        recently_broken: recent.map((r) => {
          const health = readHealth(r.health, r.created_at);
          return {
            id: r.id,
            name: r.name,
            provider: r.provider,
            kind: r.kind,
            status: health.status,
            notes: health.notes,
            since: health.time,
          };
        }),
      };
    },

    async update(accountId: string, id: string, input: PatchCredentialInput, ifVersion?: number) {
      if (!isUuid(id)) throw new NotFoundError('credential');
      const changed = await deps.transaction(async (tx) => {
        if (!(await tx.repo.patch(accountId, id, input, clock.now(), ifVersion))) return undefined;
        const full = await tx.repo.get(accountId, id);
        if (!full) throw new NotFoundError('credential');
        const view = presentCredential(full, full.app);
        await tx.events([{ accountId, type: 'credential.updated', data: view }]);
        return { ...view, version: full.version };
      });
      if (!changed) {
        if (ifVersion !== undefined && (await repo.exists(accountId, id))) {
          throw new AppError(412, 'The credential changed since you read it (If-Match is stale); read it again.');
        }
        throw new NotFoundError('credential');
      }
      return changed;
    },

    async remove(
      accountId: string,
      id: string,
      actorTokenId: string | null = null,
    ): Promise<{ id: string; deleted: true }> {
      if (!isUuid(id)) throw new NotFoundError('credential');
      await deps.transaction(async (tx) => {
        // The event carries the last presentation (docs/events.md, credential.deleted).
        const last = await tx.repo.get(accountId, id);
        const gone = last && (await tx.repo.remove(accountId, id));
        if (!last || !gone) throw new NotFoundError('credential');
        await tx.events([{ accountId, type: 'credential.deleted', data: presentCredential(last, last.app) }]);
        await tx.audit.record({
          accountId,
          actorTokenId,
          action: 'credential.deleted',
          credentialId: id,
          detail: { provider: gone.provider, kind: gone.kind },
        });
      });
      return { id, deleted: true };
    },
  };
}

export type CredentialService = ReturnType<typeof createCredentialService>;
