/**
 * Token, scope and rate limit of one request (security.md: every route with a scope), written
 * once for both doors into the API: the Fastify hook of every scoped route (app.ts) and the
 * proxy's edge (edge.ts, which answers proxied calls before Fastify). Callback style: a cached
 * token is admitted synchronously, with no promise (the request hot path).
 */
import type { AccountService, AuthContext } from '../accounts/service.js';
import { requireScope } from '../accounts/service.js';
import type { Scope } from '../accounts/tokens.js';
import { AppError, RateLimitedError, UnauthorizedError } from '../lib/errors.js';
import { createFailureLimiter, createRateLimiter } from './rate-limit.js';

export interface RequestAuthDeps {
  accounts: Pick<AccountService, 'authenticate' | 'cachedAuth'>;
  /** Requests per second per token (0: unlimited). */
  rateLimitPerSecond: number;
  /** Failed authentications per address per minute before 429 (0 disables). */
  authFailureLimit: number;
}

/** `done(error)` refuses the request; `done(undefined, auth)` admits it. */
export type AuthDone = (err: Error | undefined, auth?: AuthContext) => void;

export type RequestAuth = (authorization: string | undefined, address: string, scope: Scope, done: AuthDone) => void;

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

export function createRequestAuth(d: RequestAuthDeps): RequestAuth {
  const limiter = createRateLimiter(d.rateLimitPerSecond);
  const failures = createFailureLimiter(d.authFailureLimit);
  const admit = (auth: AuthContext, scope: Scope, done: AuthDone): void => {
    try {
      requireScope(auth, scope);
      const wait = limiter.take(auth.tokenId);
      if (wait > 0) throw new RateLimitedError(wait);
    } catch (err) {
      done(asError(err));
      return;
    }
    done(undefined, auth);
  };
  return (authorization, address, scope, done) => {
    const cached = d.accounts.cachedAuth(authorization);
    if (cached) {
      admit(cached, scope, done);
      return;
    }
    // Each lookup of an unknown token is a database query: an address that keeps failing waits.
    const wait = failures.blocked(address);
    if (wait > 0) {
      done(
        new AppError(429, `Too many failed authentications from this address; retry after ${wait} second(s).`, {
          'retry-after': String(wait),
        }),
      );
      return;
    }
    d.accounts.authenticate(authorization).then(
      (auth) => admit(auth, scope, done),
      (err: unknown) => {
        if (err instanceof UnauthorizedError) failures.fail(address);
        done(asError(err));
      },
    );
  };
}
