/**
 * The provider registry: one ProviderModule per provider (docs/kinds.md). `Provider` and
 * `PROVIDERS` are derived from it, so a provider exists once it has its line here.
 */
import type { ProviderModule } from '../module.js';
import type { ProviderName } from '../names.js';
import { airtableModule } from './airtable.js';
import { auth0Module } from './auth0.js';
import { checkoutChampModule } from './checkout_champ.js';
import { githubModule } from './github.js';
import { hubspotModule } from './hubspot.js';
import { linearModule } from './linear.js';
import { marketoModule } from './marketo.js';
import { netsuiteModule } from './netsuite.js';
import { quickbooksModule } from './quickbooks.js';
import { salesforceModule } from './salesforce.js';
import { sendgridModule } from './sendgrid.js';
import { servicenowModule } from './servicenow.js';
import { shopifyModule } from './shopify.js';
import { stripeModule } from './stripe.js';
import { workdayModule } from './workday.js';

export const PROVIDER_MODULES = {
  airtable: airtableModule,
  auth0: auth0Module,
  checkout_champ: checkoutChampModule,
  github: githubModule,
  hubspot: hubspotModule,
  linear: linearModule,
  marketo: marketoModule,
  netsuite: netsuiteModule,
  quickbooks: quickbooksModule,
  salesforce: salesforceModule,
  sendgrid: sendgridModule,
  servicenow: servicenowModule,
  shopify: shopifyModule,
  stripe: stripeModule,
  workday: workdayModule,
} satisfies Record<string, ProviderModule>;

export type Provider = keyof typeof PROVIDER_MODULES;

// The CLI's light list of names (providers/names.ts) must be exactly the registry's.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatchRegistry: Same<Provider, ProviderName> = true;
void namesMatchRegistry;

/** Every provider name, in registry order (alphabetical). */
export const PROVIDERS = Object.keys(PROVIDER_MODULES) as [Provider, ...Provider[]];

export function providerModule(provider: Provider): ProviderModule {
  return PROVIDER_MODULES[provider];
}
