import { z } from 'zod';
import { PROVIDERS, type Provider } from '../providers/registry.js';

export const MetadataSchema = z.record(z.string(), z.unknown()).describe('Free-form JSON object.');

const SettingValue = z.union([z.string().max(16_384), z.number(), z.boolean(), z.null()]);
export const SettingsSchema = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,99}$/, 'setting names are letters, digits, _ . and -'), SettingValue)
  .describe(
    "Provider-specific settings (e.g. a GitHub App's app_id and private_key, Salesforce's login_url). Settings are encrypted and masked unless the provider's code reads them as plain values: GitHub app_id, Salesforce login_url, Auth0 audience, and hosts for every provider. For ServiceNow, Workday and Auth0, `hosts` lists the hosts this app's client secret may be sent to (comma-separated; *.example.com covers subdomains): a credential naming another host is refused.",
  );
export type Settings = z.infer<typeof SettingsSchema>;

/**
 * The settings each provider's code reads that are not secret; `hosts` (where the app's secret
 * may be sent) is plain for all. Every other setting is secret by default: a name cannot tell
 * (`pem`, `signing_key`, `apikey` were stored in plaintext when secrecy went by name).
 */
const PLAIN_SETTINGS: Readonly<Partial<Record<Provider, readonly string[]>>> = {
  github: ['app_id'],
  salesforce: ['login_url'],
  auth0: ['audience'],
};
const PLAIN_FOR_ALL: readonly string[] = ['hosts'];

/** Setting names treated as secrets: encrypted at rest, masked in answers. */
export function isSecretSetting(provider: string, name: string): boolean {
  const known = Object.hasOwn(PLAIN_SETTINGS, provider) ? PLAIN_SETTINGS[provider as Provider] : undefined;
  return !PLAIN_FOR_ALL.includes(name) && !(known ?? []).includes(name);
}

export const ProviderSchema = z.enum(PROVIDERS);

export const CreateOAuthAppBody = z.strictObject({
  name: z.string().min(1).max(200),
  provider: ProviderSchema,
  client_id: z.string().min(1).max(2000),
  client_secret: z.string().min(1).max(8000),
  metadata: MetadataSchema.optional(),
  settings: SettingsSchema.optional(),
});
export type CreateOAuthAppInput = z.infer<typeof CreateOAuthAppBody>;

export const PatchOAuthAppBody = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  client_secret: z.string().min(1).max(8000).optional(),
  metadata: MetadataSchema.optional(),
  settings: SettingsSchema.optional(),
});
export type PatchOAuthAppInput = z.infer<typeof PatchOAuthAppBody>;

export const HealthSchema = z
  .object({
    status: z.enum(['pending', 'ok', 'warn', 'error']),
    notes: z.array(z.string()),
    time: z.string(),
  })
  .catchall(z.unknown());

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
export const OAuthAppSchema = EmbeddedOAuthAppSchema.extend({ health: HealthSchema });
export type OAuthAppView = z.infer<typeof OAuthAppSchema>;
export type EmbeddedOAuthAppView = z.infer<typeof EmbeddedOAuthAppSchema>;
