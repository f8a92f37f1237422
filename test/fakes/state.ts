/**
 * The state a fake provider keeps between requests: valid credentials, revocations, forced
 * answers and refresh-token rotation. Tests reach it through `fake.state`.
 */

/** Every secret the fakes mint or tests seed carries this marker; no note may contain it. */
export const MARKER = 'MARKER_SECRET_9f2c';

/** What a forced answer looks like; each provider renders it in its own error shape. */
export type Forced = 'unauthorized' | 'forbidden' | 'not_found' | 'rate_limited' | 'server_error' | 'hang' | 'garbage';

/** Free-form facts about the account a credential belongs to (org id, hub id, scopes...). */
export type Info = Record<string, unknown>;

export class FakeState {
  /** client id (or consumer key, platform key...) → secret. */
  readonly clients = new Map<string, string>();
  /** client id → account info, for client-credentials grants. */
  readonly clientInfo = new Map<string, Info>();
  /** access token (or API key, token id...) → account info. */
  readonly accessTokens = new Map<string, Info>();
  readonly refreshTokens = new Map<string, Info>();
  /** Refresh tokens already exchanged under rotation; reusing one is invalid_grant. */
  readonly usedRefreshTokens = new Set<string>();
  /** Provider-specific records (installations, shops, keys...). */
  readonly records = new Map<string, Info>();

  /** Rotate the refresh token on every refresh (Airtable, Linear, QuickBooks do). */
  rotate = true;
  /** Include a refresh_token in refresh replies when not rotating. */
  includeRefreshToken = true;
  /** expires_in of minted access tokens; undefined leaves it out (Stripe Connect, Salesforce). */
  expiresIn: number | undefined = 3600;
  retryAfterSeconds = 7;

  private readonly forced: { answer: Forced; route?: string }[] = [];
  private seq = 0;

  addClient(id: string, secret: string, info: Info = {}): void {
    this.clients.set(id, secret);
    this.clientInfo.set(id, info);
  }

  addAccessToken(token: string, info: Info): void {
    this.accessTokens.set(token, info);
  }

  addRefreshToken(token: string, info: Info): void {
    this.refreshTokens.set(token, info);
  }

  /** Revokes a token, key or client everywhere. */
  revoke(value: string): void {
    this.accessTokens.delete(value);
    this.refreshTokens.delete(value);
    this.clients.delete(value);
  }

  /** A fresh secret-looking value carrying the marker. */
  mint(prefix: string): string {
    this.seq += 1;
    return `${MARKER}-${prefix}-${this.seq}`;
  }

  /** The next request (to `route`, when given) gets `answer` instead of the real one. */
  force(answer: Forced, route?: string): void {
    this.forced.push(route === undefined ? { answer } : { answer, route });
  }

  takeForced(route: string): Forced | undefined {
    const i = this.forced.findIndex((f) => f.route === undefined || f.route === route);
    if (i < 0) return undefined;
    const [hit] = this.forced.splice(i, 1);
    return hit?.answer;
  }
}

/** A string field of an Info, or ''. */
export function str(info: Info | undefined, key: string): string {
  const v = info?.[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
