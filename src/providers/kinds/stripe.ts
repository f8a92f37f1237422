/**
 * Stripe: secret/restricted API keys and Connect (OAuth) accounts. Both kinds identify the
 * account as `account:acct_...`, so a `stripe_oauth2` import replaces a `stripe_key`
 * credential of the same account (docs/api.md §3.7).
 * https://docs.stripe.com/keys, https://docs.stripe.com/connect/oauth-reference
 */
import type { z } from 'zod';
import { fingerprintIdentity, flag, kindObject, secret, text } from '../normalize.js';
import type { FinalizeResult, KindSpec } from '../types.js';
import { expiryFields, finalizeExpiry, refreshedAccessToken } from './oauth-common.js';
import { stripeRevoke } from '../api/stripe.js';
import { replyText, secretInput, tokens } from '../connect.js';
import { bearerAt } from '../proxy.js';

const KEY_PREFIXES = ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'] as const;

const accountId = () =>
  text().refine((v) => v.startsWith('acct_'), {
    error: 'must be a Stripe account id starting with acct_',
  });

const stripeKeySchema = kindObject('stripe_key', {
  secret: secret().refine((v) => KEY_PREFIXES.some((p) => v.startsWith(p)), {
    error: 'must start with sk_live_, sk_test_, rk_live_ or rk_test_',
  }),
  test: flag().optional(),
  name: text().optional(),
  account_id: accountId().optional(),
});
type StripeKeyProps = z.output<typeof stripeKeySchema>;

/** `test` comes from the key prefix; a contradicting `test` is refused. */
function finalizeStripeKey(props: StripeKeyProps): FinalizeResult<StripeKeyProps> {
  // The secret is absent only if the caller sent the mask and nothing was stored.
  if (typeof props.secret !== 'string') return { ok: true, props };
  const isTest = props.secret.startsWith('sk_test_') || props.secret.startsWith('rk_test_');
  if (props.test === undefined) return { ok: true, props: { ...props, test: isTest } };
  if (props.test !== isTest) {
    const mode = isTest ? 'test' : 'live';
    return {
      ok: false,
      issues: {
        test: [`is ${props.test} but the secret is a ${mode}-mode key; send test: ${isTest} or leave test out`],
      },
    };
  }
  return { ok: true, props };
}

export const stripeKey = {
  kind: 'stripe_key',
  provider: 'stripe',
  aliases: [],
  schema: stripeKeySchema,
  secretFields: ['secret'],
  oauthApp: 'optional',
  accessToken: { from: 'field' },
  tokenField: 'secret',
  expiryField: null,
  learnable: ['account_id'],
  tenantHosts: [],
  connect: { flow: 'key', fields: [secretInput('secret', 'Secret or restricted key (sk_… or rk_…)')] },
  // https://docs.stripe.com/api/authentication
  proxy: bearerAt(),
  identity: (p, ctx) =>
    p.account_id !== undefined ? { value: `account:${p.account_id}` } : fingerprintIdentity('secret', p.secret, ctx),
  finalize: (p) => finalizeStripeKey(p),
} satisfies KindSpec<typeof stripeKeySchema, 'stripe_key'>;

const stripeOauth2Schema = kindObject('stripe_oauth2', {
  stripe_user_id: accountId(),
  access_token: secret().optional(),
  refresh_token: secret().optional(),
  livemode: flag().optional(),
  scope: text().optional(),
  ...expiryFields,
});

export const stripeOauth2 = {
  kind: 'stripe_oauth2',
  provider: 'stripe',
  aliases: ['stripe', 'stripe_oauth'],
  schema: stripeOauth2Schema,
  secretFields: ['access_token', 'refresh_token'],
  oauthApp: 'required',
  // Connect refresh tokens roll access tokens; without a refresh_token there is nothing to renew.
  ...refreshedAccessToken,
  learnable: [],
  tenantHosts: [],
  connect: {
    // Stripe Connect OAuth: the token request carries the platform's secret key; the reply's
    // stripe_user_id is the account. https://docs.stripe.com/connect/oauth-reference
    flow: 'oauth',
    requires: [],
    authorizeUrl: () => 'https://connect.stripe.com/oauth/authorize',
    tokenUrl: () => 'https://connect.stripe.com/oauth/token',
    clientAuth: 'stripe',
    defaultScopes: ['read_write'],
    scopeSeparator: ' ',
    extraParams: {},
    pkce: false,
    properties: (reply) => {
      const livemode = (reply as Record<string, unknown>).livemode;
      return {
        stripe_user_id: replyText(reply, 'stripe_user_id'),
        ...tokens(reply),
        ...(typeof livemode === 'boolean' ? { livemode } : {}),
        ...(replyText(reply, 'scope') ? { scope: replyText(reply, 'scope') } : {}),
      };
    },
    revoke: stripeRevoke,
  },
  // Bearer with the OAuth app's client secret (the platform key) and Stripe-Account.
  // https://docs.stripe.com/connect/authentication
  proxy: { base: () => ({ api: 'default' }), auth: { scheme: 'stripe_connect', accountField: 'stripe_user_id' } },
  identity: (p) => ({ value: `account:${p.stripe_user_id}` }),
  finalize: (p, ctx) => finalizeExpiry(p, ctx.now),
} satisfies KindSpec<typeof stripeOauth2Schema, 'stripe_oauth2'>;
