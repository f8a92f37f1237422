import { sql as m001 } from './001_init.js';
import { sql as m002 } from './002_key_retirement.js';
import { sql as m003 } from './003_health.js';
import { sql as m004 } from './004_key_encryptions.js';
import { sql as m005 } from './005_key_fingerprints.js';
import { sql as m006 } from './006_oauth_app_hosts.js';
import { sql as m007 } from './007_token_prefixes.js';
import { sql as m010 } from './010_connect_sessions.js';
import { sql as m011 } from './011_oauth_app_redirect_urls.js';
import { sql as m012 } from './012_events.js';
import { sql as m013 } from './013_webhooks.js';
import { sql as m015 } from './015_key_primary.js';
import { sql as m016 } from './016_event_credential_index.js';

/** Numbered migrations, applied in order; never edit one that has shipped, add the next. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'init', sql: m001 },
  { version: 2, name: 'key_retirement', sql: m002 },
  { version: 3, name: 'health', sql: m003 },
  { version: 4, name: 'key_encryptions', sql: m004 },
  { version: 5, name: 'key_fingerprints', sql: m005 },
  { version: 6, name: 'oauth_app_hosts', sql: m006 },
  { version: 7, name: 'token_prefixes', sql: m007 },
  { version: 10, name: 'connect_sessions', sql: m010 },
  { version: 11, name: 'oauth_app_redirect_urls', sql: m011 },
  { version: 12, name: 'events', sql: m012 },
  { version: 13, name: 'webhooks', sql: m013 },
  { version: 15, name: 'key_primary', sql: m015 },
  { version: 16, name: 'event_credential_index', sql: m016 },
];
