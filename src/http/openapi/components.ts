/**
 * The domain schemas shown as named components of the OpenAPI document (see registry.ts).
 * Route files name their own with `component()` where they define them.
 */
import {
  CredentialListSchema,
  CredentialSchema,
  CredentialSummarySchema,
  DeletedSchema,
  PropertiesInput,
} from '../../credentials/schemas.js';
import { EmbeddedOAuthAppSchema, HealthSchema, OAuthAppSchema, SettingsSchema } from '../../oauth-apps/schemas.js';
import { component } from './registry.js';

component('Credential', CredentialSchema);
component('CredentialList', CredentialListSchema);
component('CredentialSummary', CredentialSummarySchema);
component('Deleted', DeletedSchema);
// Replaced in the document by the discriminated union on `kind` (src/http/openapi/kinds.ts).
component('CredentialProperties', PropertiesInput);
component('Health', HealthSchema);
component('EmbeddedOAuthApp', EmbeddedOAuthAppSchema);
component('OAuthApp', OAuthAppSchema);
component('OAuthAppSettings', SettingsSchema);
