import { readHealth } from '../health/model.js';
import { randomUUID } from 'node:crypto';
import { oauthAppSecretPlace } from '../crypto/places.js';
import { CLIENT_SECRET_MASK, type SecretBox } from '../crypto/secret-box.js';
import { type Clock, isoSeconds } from '../lib/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { Provider } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { type OAuthAppRepository, type OAuthAppRow, createOAuthAppRepository } from './repository.js';
import type { AuditService } from '../audit/service.js';
import type { NewEvent } from '../events/outbox.js';
import {
  type CreateOAuthAppInput,
  type EmbeddedOAuthAppView,
  type OAuthAppView,
  type PatchOAuthAppInput,
  type Settings,
  isSecretSetting,
} from './schemas.js';

export type { OAuthAppRow };

export interface OAuthAppServiceDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  audit: AuditService;
  /** Records events on the transaction of the change they describe (the outbox). */
  events(trx: Db, events: readonly NewEvent[]): Promise<unknown>;
}

export interface ListOAuthAppsQuery {
  provider?: Provider;
  metadata?: Record<string, unknown>;
  limit: number;
  cursor?: string;
  revealSecrets: boolean;
  actorTokenId: string | null;
}

export function presentEmbeddedOAuthApp(
  row: OAuthAppRow,
  reveal?: { clientSecret: string; settings: Settings },
): EmbeddedOAuthAppView {
  const settings: Settings = { ...(row.settings as Settings) };
  for (const k of Object.keys(row.settings_secrets)) settings[k] = CLIENT_SECRET_MASK;
  // Stored in plaintext before unknown settings were secret by default: masked in answers too
  // (sealed at the app's next update).
  for (const k of Object.keys(settings))
    if (isSecretSetting(row.provider, k) && !reveal) settings[k] = CLIENT_SECRET_MASK;
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    client_id: row.client_id,
    client_secret: reveal ? reveal.clientSecret : CLIENT_SECRET_MASK,
    settings: reveal ? { ...settings, ...reveal.settings } : settings,
    metadata: row.metadata,
    created_at: isoSeconds(new Date(row.created_at)),
    updated_at: isoSeconds(new Date(row.updated_at)),
  };
}

export function presentOAuthApp(row: OAuthAppRow, reveal?: { clientSecret: string; settings: Settings }): OAuthAppView {
  const health = readHealth(row.health, new Date(row.updated_at));
  return {
    ...presentEmbeddedOAuthApp(row, reveal),
    redirect_urls: Array.isArray(row.redirect_urls) ? row.redirect_urls : [],
    health,
  };
}

export function createOAuthAppService({ db, box, clock, audit, events }: OAuthAppServiceDeps) {
  const place = oauthAppSecretPlace;
  const repo = createOAuthAppRepository(db);
  /** The repository on a transaction of a change, its audit row and its events. */
  const inTransaction = <T>(fn: (trx: Db, repo: OAuthAppRepository) => Promise<T>) =>
    db.transaction().execute((trx) => fn(trx, createOAuthAppRepository(trx)));

  /** Splits settings into plain and sealed members; a masked value keeps the stored secret. */
  function splitSettings(
    provider: string,
    accountId: string,
    id: string,
    settings: Settings,
    stored: Record<string, string>,
  ) {
    const plain: Settings = {};
    const secrets: Record<string, string> = {};
    for (const [k, v] of Object.entries(settings)) {
      if (!isSecretSetting(provider, k)) plain[k] = v;
      else if (v === CLIENT_SECRET_MASK) {
        const old = stored[k];
        if (old === undefined) {
          throw new ValidationError({ [`settings.${k}`]: ['is masked; send the real value'] });
        }
        secrets[k] = old;
      } else if (v !== null) secrets[k] = box.seal(String(v), place(accountId, id, `settings.${k}`));
    }
    return { plain, secrets };
  }

  function reveal(row: OAuthAppRow) {
    const settings: Settings = {};
    for (const [k, env] of Object.entries(row.settings_secrets)) {
      settings[k] = box.open(env, place(row.account_id, row.id, `settings.${k}`));
    }
    return { clientSecret: box.open(row.client_secret, place(row.account_id, row.id, 'client_secret')), settings };
  }

  async function getRow(accountId: string, id: string): Promise<OAuthAppRow> {
    if (!isUuid(id)) throw new NotFoundError('OAuth app');
    const row = await repo.get(accountId, id);
    if (!row) throw new NotFoundError('OAuth app');
    return row;
  }

  return {
    async create(accountId: string, input: CreateOAuthAppInput): Promise<OAuthAppView> {
      const id = randomUUID();
      const now = clock.now();
      const { plain, secrets } = splitSettings(input.provider, accountId, id, input.settings ?? {}, {});
      const row = await inTransaction(async (trx, tx) => {
        const created = await tx.insert({
          id,
          account_id: accountId,
          name: input.name,
          provider: input.provider,
          client_id: input.client_id,
          client_secret: box.seal(input.client_secret, place(accountId, id, 'client_secret')),
          settings: JSON.stringify(plain),
          settings_secrets: JSON.stringify(secrets),
          metadata: JSON.stringify(input.metadata ?? {}),
          health: JSON.stringify({ status: 'pending', notes: [], time: isoSeconds(now) }),
          redirect_urls: JSON.stringify(input.redirect_urls ?? []),
          created_at: now,
          updated_at: now,
        });
        await events(trx, [{ accountId, type: 'oauth_app.created', data: presentOAuthApp(created) }]);
        return created;
      });
      return presentOAuthApp(row);
    },

    async get(accountId: string, id: string): Promise<OAuthAppView> {
      return presentOAuthApp(await getRow(accountId, id));
    },

    getRow,

    /** The apps of the account among `ids`, in one query (bulk import). */
    findRows: (accountId: string, ids: string[]) => repo.findMany(accountId, ids),

    /** Decrypted client secret and secret settings, for provider calls (never for answers). */
    reveal,

    async list(accountId: string, q: ListOAuthAppsQuery) {
      const page = await repo.list(
        accountId,
        { ...(q.provider ? { provider: q.provider } : {}), ...(q.metadata ? { metadata: q.metadata } : {}) },
        q.limit,
        q.cursor,
      );
      if (q.revealSecrets) {
        await audit.recordMany(
          page.rows.map((r) => ({
            accountId,
            actorTokenId: q.actorTokenId,
            action: 'oauth_app.secret_revealed',
            oauthAppId: r.id,
          })),
        );
      }
      return {
        data: page.rows.map((r) => presentOAuthApp(r, q.revealSecrets ? reveal(r) : undefined)),
        next_cursor: page.next_cursor,
      };
    },

    async update(
      accountId: string,
      id: string,
      input: PatchOAuthAppInput,
      actorTokenId: string | null = null,
    ): Promise<OAuthAppView> {
      if (!isUuid(id)) throw new NotFoundError('OAuth app');
      // Masked settings keep stored envelopes, so the row is read first: under a row lock, in one
      // short transaction with no outside call, so concurrent PATCHes (or a rewrap) never lose a write.
      const updated = await inTransaction(async (trx, tx) => {
        const row = await tx.get(accountId, id, true);
        if (!row) throw new NotFoundError('OAuth app');
        const set: Record<string, unknown> = { updated_at: clock.now() };
        if (input.name !== undefined) set.name = input.name;
        if (input.metadata !== undefined) set.metadata = JSON.stringify(input.metadata);
        if (input.redirect_urls !== undefined) set.redirect_urls = JSON.stringify(input.redirect_urls);
        const newSecret = input.client_secret !== undefined && input.client_secret !== CLIENT_SECRET_MASK;
        if (newSecret) set.client_secret = box.seal(input.client_secret ?? '', place(accountId, id, 'client_secret'));
        if (input.settings !== undefined) {
          const { plain, secrets } = splitSettings(row.provider, accountId, id, input.settings, row.settings_secrets);
          set.settings = JSON.stringify(plain);
          set.settings_secrets = JSON.stringify(secrets);
        }
        if (newSecret || input.settings !== undefined) {
          // Who changed the app's credentials, and which (names only), in the same transaction.
          const fields = [
            ...(newSecret ? ['client_secret'] : []),
            ...(input.settings !== undefined ? Object.keys(input.settings).map((k) => `settings.${k}`) : []),
          ];
          await audit.record(
            { accountId, actorTokenId, action: 'oauth_app.credentials_changed', oauthAppId: id, detail: { fields } },
            trx,
          );
          // What the health judged changed: unknown again until a credential's refresh uses it.
          set.health = JSON.stringify({
            status: 'pending',
            notes: [
              'The client secret or settings changed; the next token refresh of a credential using this OAuth app checks them.',
            ],
            time: isoSeconds(clock.now()),
          });
        }
        const changed = await tx.update(id, set);
        await events(trx, [{ accountId, type: 'oauth_app.updated', data: presentOAuthApp(changed) }]);
        if (row.health.status !== changed.health.status) {
          await events(trx, [
            {
              accountId,
              type: 'oauth_app.health_changed',
              data: { ...presentOAuthApp(changed), previous_status: row.health.status },
            },
          ]);
        }
        return changed;
      });
      return presentOAuthApp(updated);
    },

    async remove(
      accountId: string,
      id: string,
      actorTokenId: string | null = null,
    ): Promise<{ id: string; deleted: true }> {
      await getRow(accountId, id);
      try {
        // The foreign key (ON DELETE RESTRICT) is the real guard: no check-then-delete race.
        // The audit event commits with the delete, or neither happens.
        await inTransaction(async (trx, tx) => {
          const gone = await tx.remove(accountId, id);
          if (!gone) throw new NotFoundError('OAuth app');
          await events(trx, [{ accountId, type: 'oauth_app.deleted', data: presentOAuthApp(gone) }]);
          await audit.record(
            {
              accountId,
              actorTokenId,
              action: 'oauth_app.deleted',
              oauthAppId: id,
              detail: { provider: gone.provider, client_id: gone.client_id },
            },
            trx,
          );
        });
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw new ConflictError('This OAuth app is still used by credentials; delete or re-import them first.');
        }
        throw err;
      }
      return { id, deleted: true };
    },
  };
}

export function isForeignKeyViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === '23503';
}

export type OAuthAppService = ReturnType<typeof createOAuthAppService>;
