import { randomUUID } from 'node:crypto';
import { type AuthContext, createAuthenticator } from './authenticate.js';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import type { AuditService } from '../audit/service.js';
import type { Db } from '../store/db.js';
import { SCOPES, type Scope, asScopes, generateApiToken, hashToken, tokenPrefix } from './tokens.js';

export type { AuthContext } from './authenticate.js';

export interface AccountView {
  id: string;
  name: string;
  created_at: Date;
}

export interface TokenView {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
}

export interface IssuedToken extends TokenView {
  token: string;
}

const ALL_BUT_ADMIN = SCOPES.filter((s) => s !== 'admin');
const BOOTSTRAP_LOCK = 7_246_118_302;
const REVOKE_LOCK = 7_246_118_303;

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  /** Token changes are audited on the transaction of the change: both commit, or neither. */
  audit: Pick<AuditService, 'record'>;
  /** How long a successful token lookup is reused in this process (0 disables). */
  authCacheMs?: number;
}

export function createAccountService({ db, clock, audit, authCacheMs }: AccountServiceDeps) {
  const authenticator = createAuthenticator({ db, authCacheMs });

  /** The api_tokens row of a new token: its digest and prefix, never the token. */
  function tokenRow(accountId: string, name: string, scopes: Scope[], token: string) {
    return {
      id: randomUUID(),
      account_id: accountId,
      name,
      token_hash: hashToken(token),
      token_prefix: tokenPrefix(token),
      scopes,
      created_at: clock.now(),
      revoked_at: null,
    };
  }

  /**
   * Stores a new token on `trx` and audits it there (`api_token.created`, `via` when not over
   * the API): the audit row commits with the token, or neither does.
   */
  async function insertToken(
    trx: Db,
    accountId: string,
    name: string,
    scopes: Scope[],
    token: string,
    actorTokenId: string | null,
    via?: string,
  ) {
    const row = tokenRow(accountId, name, scopes, token);
    await trx.insertInto('api_tokens').values(row).execute();
    await audit.record(
      {
        accountId,
        actorTokenId,
        action: 'api_token.created',
        detail: { token_id: row.id, scopes, ...(via ? { via } : {}) },
      },
      trx,
    );
    return { id: row.id, name, prefix: row.token_prefix, scopes, created_at: row.created_at, token };
  }

  /** First start: creates account `default` with an all-scope token. Returns the token if generated. */
  async function bootstrap(given?: string): Promise<{ created: boolean; token?: string; ignored?: boolean }> {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
      const any = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
      if (any) {
        if (given === undefined) return { created: false };
        // Set but not one of the database's live tokens: it will never authenticate (main.ts warns).
        const live = await trx
          .selectFrom('api_tokens')
          .select('id')
          .where('token_hash', '=', hashToken(given))
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return { created: false, ignored: live === undefined };
      }
      const id = randomUUID();
      await trx.insertInto('accounts').values({ id, name: 'default', created_at: clock.now() }).execute();
      const token = given ?? generateApiToken();
      await trx
        .insertInto('api_tokens')
        .values(tokenRow(id, 'bootstrap', [...SCOPES], token))
        .execute();
      return given ? { created: true } : { created: true, token };
    });
  }

  return {
    bootstrap,

    /**
     * Offline recovery (`credvault tokens bootstrap`): a new all-scope token in the given account,
     * or the oldest one (the account the first start created; created now if there is none).
     */
    async mintAdminToken(accountId?: string): Promise<IssuedToken & { accountId: string }> {
      let id = accountId;
      if (id === undefined) {
        await bootstrap(undefined);
        const oldest = await db
          .selectFrom('accounts')
          .select('id')
          .orderBy('created_at', 'asc')
          .orderBy('id', 'asc')
          .limit(1)
          .executeTakeFirst();
        if (!oldest) throw new NotFoundError('account');
        id = oldest.id;
      } else if (
        !isUuid(id) ||
        !(await db.selectFrom('accounts').select('id').where('id', '=', id).executeTakeFirst())
      ) {
        throw new NotFoundError('account');
      }
      const target = id;
      const issued = await db
        .transaction()
        .execute((trx) =>
          insertToken(trx, target, 'recovery', [...SCOPES], generateApiToken(), null, 'tokens bootstrap'),
        );
      return { ...issued, accountId: target };
    },

    authenticate: authenticator.authenticate,
    cachedAuth: authenticator.cachedAuth,

    async getAccount(id: string): Promise<AccountView> {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('account');
      return row;
    },

    async createAccount(name: string): Promise<AccountView & { token: IssuedToken }> {
      const id = randomUUID();
      const created_at = clock.now();
      // The account and its first token commit together: never an account nobody can use.
      const token = await db.transaction().execute(async (trx) => {
        await trx.insertInto('accounts').values({ id, name, created_at }).execute();
        const token = generateApiToken();
        const row = tokenRow(id, 'initial', [...ALL_BUT_ADMIN], token);
        await trx.insertInto('api_tokens').values(row).execute();
        return {
          id: row.id,
          name: row.name,
          prefix: row.token_prefix,
          scopes: row.scopes,
          created_at: row.created_at,
          token,
        };
      });
      return { id, name, created_at, token };
    },

    async createToken(auth: AuthContext, name: string, scopes: Scope[]): Promise<IssuedToken> {
      const wider = scopes.filter((s) => !auth.scopes.has(s));
      if (wider.length > 0) {
        throw new ValidationError(
          { scopes: [`cannot grant scopes the calling token lacks: ${wider.join(', ')}`] },
          'A token cannot grant scopes wider than its own.',
        );
      }
      return db
        .transaction()
        .execute((trx) =>
          insertToken(trx, auth.accountId, name, [...new Set(scopes)], generateApiToken(), auth.tokenId),
        );
    },

    async listTokens(accountId: string, limit: number, cursor?: string) {
      const pos = cursor ? decodeCursor(cursor) : undefined;
      if (cursor && !pos) throw new ValidationError({ cursor: ['is not a cursor this API issued'] });
      let q = db
        .selectFrom('api_tokens')
        .select(['id', 'name', 'token_prefix', 'scopes', 'created_at'])
        .where('account_id', '=', accountId)
        .where('revoked_at', 'is', null);
      if (pos) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', pos.createdAt),
            eb.and([eb('created_at', '=', pos.createdAt), eb('id', '<', pos.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((r) => ({
          id: r.id,
          name: r.name,
          prefix: r.token_prefix,
          scopes: asScopes(r.scopes),
          created_at: r.created_at,
        })),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },

    /**
     * Revokes a token of the caller's account: never one with a scope the caller lacks (that would
     * let tokens:manage disable wider tokens), nor the last live admin token (no way back but the
     * offline `credvault tokens bootstrap`).
     */
    async revokeToken(auth: AuthContext, id: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        // One revocation of an admin token at a time: two concurrent ones cannot both see "another is left".
        await sql`select pg_advisory_xact_lock(${REVOKE_LOCK})`.execute(trx);
        const target = await trx
          .selectFrom('api_tokens')
          .select(['id', 'scopes'])
          .where('account_id', '=', auth.accountId)
          .where('id', '=', id)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (!target) throw new NotFoundError('API token');
        // admin implies credentials:use (requireScope), so an admin token may revoke one holding it.
        const wider = asScopes(target.scopes).filter(
          (s) => !auth.scopes.has(s) && !(s === 'credentials:use' && auth.scopes.has('admin')),
        );
        if (wider.length > 0) {
          throw new AppError(
            403,
            `This API token cannot revoke a token with scopes it lacks (${wider.join(', ')}); use a token that has them.`,
          );
        }
        if (target.scopes.includes('admin')) {
          const others = await trx
            .selectFrom('api_tokens')
            .select('id')
            .where(sql<boolean>`'admin' = any(scopes)`)
            .where('revoked_at', 'is', null)
            .where('id', '<>', id)
            .limit(1)
            .executeTakeFirst();
          if (!others)
            throw new ConflictError('This is the last admin token; create another admin token before revoking it.');
        }
        await trx.updateTable('api_tokens').set({ revoked_at: clock.now() }).where('id', '=', id).execute();
        await audit.record(
          {
            accountId: auth.accountId,
            actorTokenId: auth.tokenId,
            action: 'api_token.revoked',
            detail: { token_id: id },
          },
          trx,
        );
      });
      authenticator.forgetAll();
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

export function requireScope(auth: AuthContext, scope: Scope): void {
  // Admin tokens made before credentials:use existed include it too (docs: the proxy's scope).
  if (!auth.scopes.has(scope) && !(scope === 'credentials:use' && auth.scopes.has('admin')))
    throw new ForbiddenError(scope);
}
