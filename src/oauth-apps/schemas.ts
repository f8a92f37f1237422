import { z } from 'zod';
import { PROVIDERS, type Provider } from '../providers/registry.js';

export const MetadataSchema = z.record(z.string(), z.unknown()).describe('Free-form JSON object.');

const SettingValue = z.union([z.string().max(16_384), z.number(), z.boolean(), z.null()]);
export const SettingsSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, 'setting names are letters, digits, _ . and -'),
    SettingValue,
  )
  .describe(
    "Provider-specific settings (e.g. a GitHub App's app_id and private_key, Salesforce's login_url). Settings are encrypted and masked unless the provider's code reads them as plain values: GitHub app_id and slug, Salesforce login_url, Auth0 audience, QuickBooks environment, and hosts for every provider. For ServiceNow, Workday and Auth0, `hosts` lists the hosts this app's client secret may be sent to (comma-separated; *.example.com covers subdomains): a credential naming another host is refused.",
  );
export type Settings = z.infer<typeof SettingsSchema>;

/**
 * The settings each provider's code reads that are not secret; `hosts` (where the app's secret
 * may be sent) is plain for all. Every other setting is secret by default: a name cannot tell
 * (`pem`, `signing_key`, `apikey` were stored in plaintext when secrecy went by name).
 */
const PLAIN_SETTINGS: Readonly<Partial<Record<Provider, readonly string[]>>> = {
  github: ['app_id', 'slug'],
  salesforce: ['login_url'],
  auth0: ['audience'],
  quickbooks: ['environment'],
};
const PLAIN_FOR_ALL: readonly string[] = ['hosts'];

/** Setting names treated as secrets: encrypted at rest, masked in answers. */
export function isSecretSetting(provider: string, name: string): boolean {
  const known = Object.hasOwn(PLAIN_SETTINGS, provider) ? PLAIN_SETTINGS[provider as Provider] : undefined;
  return !PLAIN_FOR_ALL.includes(name) && !(known ?? []).includes(name);
}

export const ProviderSchema = z.enum(PROVIDERS);

/** True for https URLs, and http ones on localhost or 127.0.0.1 only (docs: Connect, §4). */
export function isAllowedRedirectUrl(v: string): boolean {
  try {
    const u = new URL(v);
    if (u.hash !== '' || u.username !== '' || u.password !== '') return false;
    return (
      u.protocol === 'https:' || (u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1'))
    );
  } catch {
    return false;
  }
}

/** Where a Connect flow of this app may send the browser at the end: exact string match, no open redirects. */
export const RedirectUrlsSchema = z
  .array(
    z
      .string()
      .max(2000)
      .refine(isAllowedRedirectUrl, 'must be an https URL (http only on localhost or 127.0.0.1), without a fragment'),
  )
  .max(20)
  .describe('Connect: the redirect_url values start-auth accepts for this app (exact match).');

export const CreateOAuthAppBody = z.strictObject({
  name: z.string().min(1).max(200),
  provider: ProviderSchema,
  client_id: z.string().min(1).max(2000),
  client_secret: z.string().min(1).max(8000),
  metadata: MetadataSchema.optional(),
  settings: SettingsSchema.optional(),
  redirect_urls: RedirectUrlsSchema.optional(),
});
export type CreateOAuthAppInput = z.infer<typeof CreateOAuthAppBody>;

export const PatchOAuthAppBody = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  client_secret: z.string().min(1).max(8000).optional(),
  metadata: MetadataSchema.optional(),
  settings: SettingsSchema.optional(),
  redirect_urls: RedirectUrlsSchema.optional(),
});
export type PatchOAuthAppInput = z.infer<typeof PatchOAuthAppBody>;

/** Always the same members, checked or not (a never-checked one has nulls). */
export const HealthSchema = z.object({
  status: z.enum(['pending', 'ok', 'warn', 'error']),
  notes: z.array(z.string()).describe('Sentences explaining the status, never provider data.'),
  time: z.string().describe('When the status last changed (ISO 8601).'),
  reason: z
    .string()
    .nullable()
    .describe('Why the last check failed (e.g. unauthorized, invalid_grant, timeout), null when it did not.'),
  checked_at: z.string().nullable().describe('When it was last checked against the provider; null if never.'),
  last_ok_at: z.string().nullable(),
  next_check_at: z.string().nullable(),
  consecutive_failures: z.number().int(),
});

export const EmbeddedOAuthAppSchema = z.object({
  id: z.string(),
  name: z.string(),
  provider: z.string(),
  client_id: z.string(),
  client_secret: z.string(),
  settings: SettingsSchema,
  metadata: MetadataSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
export const OAuthAppSchema = EmbeddedOAuthAppSchema.extend({
  redirect_urls: z.array(z.string()),
  health: HealthSchema,
});
export type OAuthAppView = z.infer<typeof OAuthAppSchema>;
export type EmbeddedOAuthAppView = z.infer<typeof EmbeddedOAuthAppSchema>;
