/**
 * Importing credentials: one at a time (POST /v1/credentials) and in bulk (POST
 * /v1/credentials/bulk), both through the same preparation (prepare.ts) and repository upserts.
 */
import { CREDENTIAL_MASK } from '../crypto/secret-box.js';
import {
  AppError,
  ValidationError,
  type ValidationErrors,
  bodyIssueOptions,
  invalidRequestSummary,
  toValidationErrors,
} from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { uuidv7 } from '../lib/uuid7.js';
import type { OAuthAppRow } from '../oauth-apps/service.js';
import type { CredentialServiceDeps, FindOAuthApp, PrepareImport, PreparedImport, ProvenIdentity } from './prepare.js';
import { presentCredential } from './present.js';
import type { CredentialRepository, CredentialRow } from './repository/index.js';
import { type CredentialView, ImportCredentialBody, type ImportCredentialInput } from './schemas.js';

/** The error body a single import would answer, for one bulk item. */
export interface ItemError {
  summary: string;
  validation_errors?: ValidationErrors;
}

export type BulkItemResult =
  { index: number; status: 200; credential: CredentialView } | { index: number; status: 422; error: ItemError };

/** Field issues one bulk answer lists in all; past it, failed items answer their summary only. */
export const BULK_MAX_LISTED_ISSUES = 1000;

/** Bounds the whole bulk answer: each item's issues are capped already; this caps their sum. */
function capAnswerIssues(results: BulkItemResult[]): void {
  let listed = 0;
  for (const r of results) {
    if (r.status !== 422 || r.error.validation_errors === undefined) continue;
    const n = Object.keys(r.error.validation_errors).length;
    if (listed + n <= BULK_MAX_LISTED_ISSUES) {
      listed += n;
      continue;
    }
    listed = BULK_MAX_LISTED_ISSUES;
    r.error = {
      summary: `The item is invalid; its field issues are left out because this answer already lists ${BULK_MAX_LISTED_ISSUES.toLocaleString('en-US')}. Import it on its own to see them.`,
    };
  }
}

type Given = PreparedImport['given'];

export interface ImportOptions {
  proven?: ProvenIdentity;
  /** Re-authorization: the import must land on this credential's provider account, else AccountMismatchError and nothing is written. */
  sameAccountAs?: string;
  /**
   * The Connect session that produced this credential: the same transaction also writes
   * `credential.connected` (docs/events.md, "Types"), the presentation plus `connect_session_id`.
   */
  connectSessionId?: string;
}

export class AccountMismatchError extends AppError {
  constructor() {
    super(
      409,
      'The authorization is for a different provider account than the credential being re-authorized; nothing was changed.',
    );
  }
}

/** A masked secret needs the stored value of the same provider account: such items go one by one. */
function hasMask(input: ImportCredentialInput): boolean {
  return Object.values(input.properties).some((v) => v === CREDENTIAL_MASK);
}

/** PostgreSQL reports a deadlock as 40P01; the statement is safe to run again. */
function isDeadlock(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === '40P01';
}

const key = (p: PreparedImport) => `${p.values.provider}\u0000${p.values.identity}`;

/**
 * Later items win, as if the batch had been imported one item at a time: a `name` or
 * `metadata` an earlier item gave survives a later item that leaves it out.
 */
function merge(earlier: PreparedImport, later: PreparedImport): PreparedImport {
  const values = { ...later.values };
  if (!later.given.name && earlier.given.name) values.name = earlier.values.name;
  if (!later.given.metadata && earlier.given.metadata) values.metadata = earlier.values.metadata;
  return {
    values,
    app: later.app,
    given: { name: later.given.name || earlier.given.name, metadata: later.given.metadata || earlier.given.metadata },
  };
}

export function createImportOperations(
  deps: Pick<CredentialServiceDeps, 'repo' | 'oauthApps' | 'afterImport' | 'transaction'>,
  prepareImport: PrepareImport,
  findAppIn: (accountId: string) => FindOAuthApp,
) {
  const { repo } = deps;

  /** Writes distinct provider accounts: one statement per combination of `given` flags (usually one). */
  async function writeDistinct(
    repo: CredentialRepository,
    prepared: PreparedImport[],
  ): Promise<Map<string, CredentialRow>> {
    const groups = new Map<string, { given: Given; rows: PreparedImport[] }>();
    for (const p of prepared) {
      const g = `${p.given.name}/${p.given.metadata}`;
      const group = groups.get(g) ?? { given: p.given, rows: [] };
      group.rows.push(p);
      groups.set(g, group);
    }
    const written = new Map<string, CredentialRow>();
    for (const { given, rows } of groups.values()) {
      // One lock order for every writer, so two overlapping batches cannot deadlock each other.
      rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      const result = await repo.upsertMany(
        rows.map((r) => r.values),
        given,
      );
      for (const row of result) written.set(`${row.provider}\u0000${row.identity}`, row);
    }
    if (written.size !== prepared.length)
      throw new Error(`Bulk upsert wrote ${written.size} rows for ${prepared.length} provider accounts.`);
    return written;
  }

  /** Prepares a run of items in memory and writes it with one multi-row upsert. */
  async function importRun(
    accountId: string,
    run: { index: number; input: ImportCredentialInput }[],
    findApp: FindOAuthApp,
  ): Promise<BulkItemResult[]> {
    const results: BulkItemResult[] = [];
    const ok: { index: number; key: string }[] = [];
    const latest = new Map<string, PreparedImport>();
    for (const { index, input } of run) {
      try {
        const p = await prepareImport(accountId, input, findApp);
        const k = key(p);
        const before = latest.get(k);
        latest.set(k, before ? merge(before, p) : p);
        ok.push({ index, key: k });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        results.push({ index, status: 422, error: { summary: err.summary, validation_errors: err.validationErrors } });
      }
    }
    // The upserts and their events (one statement per batch) in one transaction; a deadlock
    // aborts it, so the whole transaction is run again.
    const write = () =>
      deps.transaction(async (tx) => {
        const rows = await writeDistinct(tx.repo, [...latest.values()]);
        const presented = new Map<string, CredentialView>();
        for (const [k, row] of rows) presented.set(k, presentCredential(row, latest.get(k)?.app ?? null));
        const events = [...rows].map(([k, row]) => ({
          accountId,
          type: row.version === 1 ? ('credential.created' as const) : ('credential.updated' as const),
          data: presented.get(k) ?? {},
        }));
        await tx.events(events);
        return { rows, presented };
      });
    let result: { rows: Map<string, CredentialRow>; presented: Map<string, CredentialView> } | undefined;
    for (let attempt = 1; !result; attempt++) {
      try {
        result = latest.size === 0 ? { rows: new Map(), presented: new Map() } : await write();
      } catch (err) {
        if (!isDeadlock(err) || attempt >= 3) throw err;
      }
    }
    const views = result.presented;
    for (const row of result.rows.values()) deps.afterImport?.(row);
    for (const { index, key: k } of ok) {
      const credential = views.get(k);
      if (!credential) throw new Error('A bulk item lost its credential.');
      results.push({ index, status: 200, credential });
    }
    return results;
  }

  /**
   * Bulk import (POST /v1/credentials/bulk): each item answers what a single import would,
   * in order. Items are validated, identified and sealed in memory, the OAuth apps they name
   * are loaded in one query, and each run of items is written with one multi-row upsert.
   * Items carrying a masked secret run alone, in their place, because they read the stored
   * value of the provider account that earlier items may just have written.
   */
  async function importMany(accountId: string, inputs: ImportCredentialInput[]): Promise<BulkItemResult[]> {
    const ids = [
      ...new Set(inputs.map((i) => i.oauth_app_id).filter((id): id is string => typeof id === 'string' && isUuid(id))),
    ];
    const apps = new Map<string, OAuthAppRow>((await deps.oauthApps.findRows(accountId, ids)).map((a) => [a.id, a]));
    const findApp: FindOAuthApp = async (id) => apps.get(id);

    const results: BulkItemResult[] = [];
    let run: { index: number; input: ImportCredentialInput }[] = [];
    const flush = async () => {
      if (run.length > 0) results.push(...(await importRun(accountId, run, findApp)));
      run = [];
    };
    for (const [index, input] of inputs.entries()) {
      if (!hasMask(input)) {
        run.push({ index, input });
        continue;
      }
      await flush();
      results.push(...(await importRun(accountId, [{ index, input }], findApp)));
    }
    await flush();
    return results.sort((a, b) => a.index - b.index);
  }

  return {
    async importCredential(
      accountId: string,
      input: ImportCredentialInput,
      opts: ImportOptions = {},
    ): Promise<CredentialView> {
      const prepared = await prepareImport(accountId, input, findAppIn(accountId), {
        identify: true,
        ...(opts.proven ? { proven: opts.proven } : {}),
      });
      if (opts.sameAccountAs !== undefined) {
        const holder = await repo.findSecretsByIdentity(accountId, prepared.values.provider, prepared.values.identity);
        if (holder?.id !== opts.sameAccountAs) throw new AccountMismatchError();
      }
      if (opts.connectSessionId === undefined) {
        // The upsert and its event in one statement (repository upsertRecorded): the event is the
        // credential as presented from what was sent, completed by the statement from the stored row.
        // The answer is that same presentation completed the same way (one presentation per import).
        const v = prepared.values;
        const draft = presentCredential({ ...v, created_at: v.now, updated_at: v.now }, prepared.app);
        const kept = await repo.upsertRecorded(v, prepared.given, draft, uuidv7(v.now));
        deps.afterImport?.(kept);
        return { ...draft, id: kept.id, name: kept.name, metadata: kept.metadata, created_at: kept.created_at };
      }
      // A Connect flow's import also records `credential.connected`: two events, one transaction.
      const connectSessionId = opts.connectSessionId;
      const { row, view } = await deps.transaction(async (tx) => {
        const written = await tx.repo.upsert(prepared.values, prepared.given);
        const presented = presentCredential(written, prepared.app);
        await tx.events([
          { accountId, type: written.version === 1 ? 'credential.created' : 'credential.updated', data: presented },
          {
            accountId,
            type: 'credential.connected' as const,
            data: { ...presented, connect_session_id: connectSessionId },
          },
        ]);
        return { row: written, view: presented };
      });
      deps.afterImport?.(row);
      return view;
    },

    importMany,

    /**
     * The bulk route's items as sent: each checked against the import body schema on its own
     * (a bad item answers its own 422, as a single import would), the rest imported together.
     */
    async importBodies(accountId: string, items: readonly unknown[]): Promise<BulkItemResult[]> {
      const valid: { index: number; input: ImportCredentialInput }[] = [];
      const results: BulkItemResult[] = [];
      for (const [index, item] of items.entries()) {
        const parsed = ImportCredentialBody.safeParse(item, { reportInput: false });
        if (parsed.success) valid.push({ index, input: parsed.data });
        else {
          const validation_errors = toValidationErrors(parsed.error.issues, bodyIssueOptions('body'));
          results.push({
            index,
            status: 422,
            error: { summary: invalidRequestSummary(validation_errors), validation_errors },
          });
        }
      }
      for (const res of await importMany(
        accountId,
        valid.map((v) => v.input),
      ))
        results.push({ ...res, index: valid[res.index]?.index ?? -1 });
      results.sort((a, b) => a.index - b.index);
      capAnswerIssues(results);
      return results;
    },
  };
}
