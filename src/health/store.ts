import type { CredentialRepository, CredentialRow, WorkResult } from '../credentials/repository/index.js';
import { recordAppHealthChange } from '../events/changes.js';
import type { OAuthAppRepository } from '../oauth-apps/repository.js';

export type { WorkResult };
/** A credential row as health work reads and writes it. */
export type WorkRow = CredentialRow;

/**
 * What health work needs of storage, and nothing else: the statements themselves belong to the
 * repositories that own the tables (credentials, oauth_apps; docs/architecture.md "Storage").
 * Events that a write causes are stamped with the injected clock's `now`.
 */
export function createHealthStore(
  credentials: CredentialRepository,
  apps: Pick<OAuthAppRepository, 'setHealth'>,
  now: () => Date,
) {
  return {
    get: credentials.row,
    acquire: credentials.acquire,
    claimDue: credentials.claimDue,
    defer: credentials.defer,
    release: credentials.release,
    holderOf: credentials.holderOf,
    noteLastOk: credentials.noteLastOk,
    dueNow: credentials.dueNow,
    /** Writes results if we still hold the lease and nobody re-imported meanwhile (see the repository's results.ts). */
    write: (id: string, owner: string, version: number, r: WorkResult, release: boolean) =>
      credentials.write(id, owner, version, r, release, now()),
    setAppHealth: (appId: string, health: { status: string } & Record<string, unknown>) =>
      apps.setHealth(appId, health, (trx, app, previous) => recordAppHealthChange(trx, app, previous, now())),
  };
}

export type HealthStore = ReturnType<typeof createHealthStore>;
