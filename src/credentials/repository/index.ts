/**
 * The one owner of the credentials table (docs/architecture.md "Storage"): every statement on
 * it is here, by what it does: reads, writes (imports, edits, deletes), the leases of health
 * work and the writes that end it (results). The columns are described once, in
 * src/store/schema.ts; columns.ts derives the lists and the result-to-columns mapping.
 */
import type { Db } from '../../store/db.js';
import { createCredentialLeases } from './leases.js';
import { createCredentialReads } from './reads.js';
import { createCredentialResults } from './results.js';
import { createCredentialWrites } from './writes.js';

export type { CredentialRow, CredentialWithApp, PresentableCredentialWithApp, WorkResult } from './columns.js';
export type { CredentialFilters } from './reads.js';
export type { NewCredential } from './writes.js';
export { type FinalWrite, batchFinalWrites } from './results.js';

/** SQL for credentials on `db` (the pool or a transaction); the API's statements are filtered by the caller's account. */
export function createCredentialRepository(db: Db) {
  return {
    ...createCredentialReads(db),
    ...createCredentialWrites(db),
    ...createCredentialLeases(db),
    ...createCredentialResults(db),
  };
}

export type CredentialRepository = ReturnType<typeof createCredentialRepository>;
