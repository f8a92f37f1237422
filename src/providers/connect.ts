/**
 * The `connect` slot of a kind (docs/architecture.md, "The kind spine"; docs: Connect, §2): where
 * a browser is sent to consent, where the code is exchanged, default scopes and extra
 * parameters, and how the token reply becomes the kind's properties; or the form of a key kind.
 * Data first, declared in the kind's file; the flow itself lives in src/connect/, provider calls
 * (revocation, callback proofs) in the provider's api file.
 */
import type { TokenReply } from './api/oauth.js';
import type { IdentifySuccess, ProviderContext, ProviderCredential, ProviderFailure } from './module.js';

/** What an endpoint may depend on: the start-auth properties and the OAuth app's settings. */
export interface EndpointInput {
  props: Readonly<Record<string, string>>;
  settings: Readonly<Record<string, unknown>>;
}

/**
 * Revocation at the provider (DELETE /v1/credentials/{id}?revoke=true). `url` rebases a real
 * provider URL onto CREDVAULT_PROVIDER_URL_<P> when the operator set one.
 */
export type Revoke = (
  cred: ProviderCredential,
  ctx: ProviderContext,
  url: (real: string) => string,
) => Promise<{ ok: true } | ProviderFailure>;

export interface OAuthConnect {
  flow: 'oauth';
  /** Non-secret properties needed before consent (Shopify shop, ServiceNow instance_url...). */
  requires: readonly string[];
  authorizeUrl(i: EndpointInput): string;
  tokenUrl(i: EndpointInput): string;
  /** How the code exchange authenticates the client: Basic header, form fields, or Stripe's secret key as Basic user. */
  clientAuth: 'basic' | 'form' | 'stripe';
  defaultScopes: readonly string[];
  scopeSeparator: ' ' | ',';
  extraParams: Readonly<Record<string, string>>;
  /** Send PKCE S256 (RFC 7636): where the provider documents it (Airtable requires it). */
  pkce: boolean;
  /**
   * A provider proof on the callback besides state (Shopify signs the query): whether the
   * callback query is genuine, given the OAuth app's client secret and the start properties.
   */
  proof?(query: URLSearchParams, clientSecret: string, start: Readonly<Record<string, string>>): boolean;
  /** The kind's properties (without `kind`) from the token reply, the callback query and the start properties. */
  properties(
    reply: TokenReply,
    query: URLSearchParams,
    start: Readonly<Record<string, string>>,
    settings: Readonly<Record<string, unknown>>,
  ): Record<string, unknown>;
  /** Folds what identify learned into the properties (default: its `learned`). */
  identified?(props: Record<string, unknown>, found: IdentifySuccess): Record<string, unknown>;
  revoke?: Revoke;
}

export interface GithubAppConnect {
  flow: 'github_app';
  installUrl(i: EndpointInput): string;
  revoke?: Revoke;
}

export interface KeyField {
  name: string;
  label: string;
  secret: boolean;
  optional?: boolean;
}

export interface KeyConnect {
  flow: 'key';
  fields: readonly KeyField[];
}

export type ConnectSpec = OAuthConnect | GithubAppConnect | KeyConnect;

/** Key kinds' form fields (docs: Connect, §3): the kind's own properties; secret ones are password inputs. */
export const secretInput = (name: string, label: string): KeyField => ({ name, label, secret: true });
export const textInput = (name: string, label: string): KeyField => ({ name, label, secret: false });

/** A reply field as a string, when present. */
export function replyText(reply: TokenReply, key: string): string | undefined {
  const v = (reply as Record<string, unknown>)[key];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The tokens every OAuth kind keeps, from a token reply. */
export function tokens(reply: TokenReply, withAccess = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (reply.refresh_token !== undefined) out.refresh_token = reply.refresh_token;
  if (withAccess) out.access_token = reply.access_token;
  if (withAccess && typeof reply.expires_in === 'number' && Number.isFinite(reply.expires_in) && reply.expires_in > 0)
    out.expires_in = Math.floor(reply.expires_in);
  return out;
}

/** `real` with its origin replaced by `override` (CREDVAULT_PROVIDER_URL_<P>), paths kept. */
export function rebase(real: string, override: string | undefined): string {
  if (override === undefined) return real;
  const u = new URL(real);
  return `${override.replace(/\/+$/, '')}${u.pathname}${u.search}`;
}
