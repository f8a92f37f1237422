/**
 * The provider names alone, without their modules (which load zod and every provider): the
 * CLI's option choices use this so `credvault` starts fast (docs/architecture.md "CLI").
 * providers/api/index.ts fails to compile when this list and its registry differ.
 */
export const PROVIDER_NAMES = [
  'airtable',
  'auth0',
  'checkout_champ',
  'github',
  'hubspot',
  'linear',
  'marketo',
  'netsuite',
  'quickbooks',
  'salesforce',
  'sendgrid',
  'servicenow',
  'shopify',
  'stripe',
  'workday',
] as const;

export type ProviderName = (typeof PROVIDER_NAMES)[number];
