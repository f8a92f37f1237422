/**
 * The kind registry: every credential kind, keyed by canonical name (docs/kinds.md is generated
 * from it). `Kind` and `KINDS` are derived from it, and the mapped type makes the compiler refuse
 * a spec filed under the wrong name.
 */
import { airtableOauth2 } from './kinds/airtable.js';
import { auth0ClientCredentials } from './kinds/auth0.js';
import { checkoutChampPassword } from './kinds/checkout_champ.js';
import { githubApp } from './kinds/github.js';
import { hubspotOauth2 } from './kinds/hubspot.js';
import { linearOauth2 } from './kinds/linear.js';
import { marketoClientCredentials } from './kinds/marketo.js';
import { netsuiteTba } from './kinds/netsuite.js';
import { quickbooksOauth2 } from './kinds/quickbooks.js';
import { createSalesforceOauth2 } from './kinds/salesforce.js';
import { sendgridKey } from './kinds/sendgrid.js';
import { createServicenowOauth2 } from './kinds/servicenow.js';
import { shopifyOauth2 } from './kinds/shopify.js';
import { stripeKey, stripeOauth2 } from './kinds/stripe.js';
import { workdayOauth2 } from './kinds/workday.js';
import type { Provider } from './api/index.js';
import type { KindSpec } from './types.js';

export { PROVIDERS, type Provider } from './api/index.js';

export interface KindSpecOptions {
  /** Extra host suffixes for tenant-supplied hosts (`CREDVAULT_PROVIDER_HOSTS_<PROVIDER>`). */
  extraHosts?: Partial<Record<Provider, readonly string[]>>;
}

/** Checks that every spec is filed under its own kind name. */
function kindRegistry<T extends { [K in keyof T]: KindSpec & { kind: K } }>(specs: T): T {
  return specs;
}

/** The full record of kind specs; only Salesforce and ServiceNow depend on `opts`. */
export function createKindSpecs(opts: KindSpecOptions = {}) {
  return kindRegistry({
    stripe_key: stripeKey,
    stripe_oauth2: stripeOauth2,
    salesforce_oauth2: createSalesforceOauth2(opts.extraHosts?.salesforce ?? []),
    hubspot_oauth2: hubspotOauth2,
    github_app: githubApp,
    airtable_oauth2: airtableOauth2,
    linear_oauth2: linearOauth2,
    checkout_champ_password: checkoutChampPassword,
    shopify_oauth2: shopifyOauth2,
    quickbooks_oauth2: quickbooksOauth2,
    netsuite_tba: netsuiteTba,
    marketo_client_credentials: marketoClientCredentials,
    sendgrid_key: sendgridKey,
    servicenow_oauth2: createServicenowOauth2(opts.extraHosts?.servicenow ?? []),
    workday_oauth2: workdayOauth2,
    auth0_client_credentials: auth0ClientCredentials,
  });
}

export type KindSpecs = ReturnType<typeof createKindSpecs>;

export const KIND_SPECS = createKindSpecs({});

export type Kind = keyof KindSpecs;

/** Every canonical kind name, in registry order. */
export const KINDS = Object.keys(KIND_SPECS) as [Kind, ...Kind[]];

/** Canonical names and aliases (docs/kinds.md) to canonical kinds. A Map: no prototype keys. */
const NAMES: ReadonlyMap<string, Kind> = new Map(
  KINDS.flatMap((kind) => [kind, ...KIND_SPECS[kind].aliases].map((name) => [name, kind] as const)),
);

/** The canonical kind for a kind name or alias, or undefined when unknown. */
export function resolveKind(input: string): Kind | undefined {
  return NAMES.get(input);
}

export function kindSpec(kind: Kind, specs: KindSpecs = KIND_SPECS): KindSpec {
  return specs[kind];
}

export function providerOf(kind: Kind): Provider {
  return KIND_SPECS[kind].provider;
}

/** Every secret field name of every kind, once each: the log redaction paths derive from it. */
export const SECRET_FIELD_NAMES: readonly string[] = [
  ...new Set(KINDS.flatMap((kind): readonly string[] => KIND_SPECS[kind].secretFields)),
];
