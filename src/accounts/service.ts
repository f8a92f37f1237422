import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import { decodeCursor, encodeCursor } from '../lib/cursor.js';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../lib/errors.js';
import type { Db } from '../store/db.js';
import { SCOPES, type Scope, digestsEqual, generateApiToken, hashToken, plausibleToken, tokenPrefix } from './tokens.js';

export interface AuthContext {
  accountId: string;
  tokenId: string;
  scopes: ReadonlySet<Scope>;
}

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

export interface AccountServiceDeps {
  db: Db;
  clock: Clock;
  /** How long a successful token lookup is reused in this process (0 disables). */
  authCacheMs?: number;
}

function asScopes(values: string[]): Scope[] {
  return values.filter((v): v is Scope => (SCOPES as readonly string[]).includes(v));
}

export function createAccountService({ db, clock, authCacheMs = 1000 }: AccountServiceDeps) {
  // Short positive cache: revocation is immediate on this node and takes at most
  // authCacheMs on the others. Keyed by digest, never by the token itself.
  const cache = new Map<string, { ctx: AuthContext; until: number }>();

  async function insertToken(accountId: string, name: string, scopes: Scope[], token: string) {
    const row = {
      id: randomUUID(),
      account_id: accountId,
      name,
      token_hash: hashToken(token),
      token_prefix: tokenPrefix(token),
      scopes,
      created_at: clock.now(),
      revoked_at: null,
    };
    await db.insertInto('api_tokens').values(row).execute();
    return { id: row.id, name, prefix: row.token_prefix, scopes, created_at: row.created_at, token };
  }

  return {
    /** First start: creates account `default` with an all-scope token. Returns the token if generated. */
    async bootstrap(given?: string): Promise<{ created: boolean; token?: string }> {
      return db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
        const any = await trx.selectFrom('accounts').select('id').limit(1).executeTakeFirst();
        if (any) return { created: false };
        const id = randomUUID();
        await trx.insertInto('accounts').values({ id, name: 'default', created_at: clock.now() }).execute();
        const token = given ?? generateApiToken();
        await trx
          .insertInto('api_tokens')
          .values({
            id: randomUUID(),
            account_id: id,
            name: 'bootstrap',
            token_hash: hashToken(token),
            token_prefix: tokenPrefix(token),
            scopes: [...SCOPES],
            created_at: clock.now(),
            revoked_at: null,
          })
          .execute();
        return given ? { created: true } : { created: true, token };
      });
    },

    async authenticate(header: string | undefined): Promise<AuthContext> {
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      const token = m?.[1];
      if (!token || !plausibleToken(token)) throw new UnauthorizedError();
      const digest = hashToken(token);
      const key = digest.toString('base64');
      const hit = cache.get(key);
      const now = Date.now();
      if (hit && hit.until > now) return hit.ctx;
      const row = await db
        .selectFrom('api_tokens')
        .select(['id', 'account_id', 'scopes', 'token_hash', 'revoked_at'])
        .where('token_hash', '=', digest)
        .executeTakeFirst();
      if (!row || row.revoked_at !== null || !digestsEqual(Buffer.from(row.token_hash), digest)) {
        throw new UnauthorizedError();
      }
      const ctx: AuthContext = { accountId: row.account_id, tokenId: row.id, scopes: new Set(asScopes(row.scopes)) };
      if (authCacheMs > 0) {
        if (cache.size > 10_000) cache.clear();
        cache.set(key, { ctx, until: now + authCacheMs });
      }
      return ctx;
    },

    async getAccount(id: string): Promise<AccountView> {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('account');
      return row;
    },

    async createAccount(name: string): Promise<AccountView & { token: IssuedToken }> {
      const id = randomUUID();
      const created_at = clock.now();
      await db.insertInto('accounts').values({ id, name, created_at }).execute();
      const token = await insertToken(id, 'initial', [...ALL_BUT_ADMIN], generateApiToken());
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
      return insertToken(auth.accountId, name, [...new Set(scopes)], generateApiToken());
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
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map((r) => ({ id: r.id, name: r.name, prefix: r.token_prefix, scopes: asScopes(r.scopes), created_at: r.created_at })),
        next_cursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },

    async revokeToken(accountId: string, id: string): Promise<void> {
      const res = await db
        .updateTable('api_tokens')
        .set({ revoked_at: clock.now() })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new NotFoundError('API token');
      cache.clear();
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

export function requireScope(auth: AuthContext, scope: Scope): void {
  if (!auth.scopes.has(scope)) throw new ForbiddenError(scope);
}
