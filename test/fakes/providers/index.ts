/** Route files of the fake providers, one per provider. */
import type { Provider } from '../../../src/providers/registry.js';
import type { FakeProviderDef } from '../server.js';
import { airtableFake } from './airtable.js';
import { auth0Fake } from './auth0.js';
import { checkoutChampFake } from './checkout_champ.js';
import { githubFake } from './github.js';
import { hubspotFake } from './hubspot.js';
import { linearFake } from './linear.js';
import { marketoFake } from './marketo.js';
import { netsuiteFake } from './netsuite.js';
import { quickbooksFake } from './quickbooks.js';
import { salesforceFake } from './salesforce.js';
import { sendgridFake } from './sendgrid.js';
import { servicenowFake } from './servicenow.js';
import { shopifyFake } from './shopify.js';
import { stripeFake } from './stripe.js';
import { workdayFake } from './workday.js';

export const FAKE_PROVIDERS = {
  airtable: airtableFake,
  auth0: auth0Fake,
  checkout_champ: checkoutChampFake,
  github: githubFake,
  hubspot: hubspotFake,
  linear: linearFake,
  marketo: marketoFake,
  netsuite: netsuiteFake,
  quickbooks: quickbooksFake,
  salesforce: salesforceFake,
  sendgrid: sendgridFake,
  servicenow: servicenowFake,
  shopify: shopifyFake,
  stripe: stripeFake,
  workday: workdayFake,
} satisfies Record<Provider, FakeProviderDef>;
