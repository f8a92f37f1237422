/**
 * Generates docs/kinds.md, the reference of every credential kind, from the kind and provider
 * registries (src/providers/registry.ts, src/providers/api/index.ts): nothing in it is written by
 * hand, so it cannot drift from the code (test/docs/kinds-doc.test.ts checks it).
 *
 *   npm run generate:docs            write the file
 *   npm run generate:docs -- --check exit 1 when the committed file is stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { PROVIDER_MODULES } from '../src/providers/api/index.js';
import { KIND_SPECS, KINDS } from '../src/providers/registry.js';
import type { EndpointInput } from '../src/providers/connect.js';
import type { KindSpec } from '../src/providers/types.js';

export const KINDS_DOC_PATH = fileURLToPath(new URL('../docs/kinds.md', import.meta.url));

const code = (s: string) => `\`${s}\``;
const list = (items: readonly string[]) => (items.length === 0 ? '—' : items.map(code).join(', '));

/** A field's JSON type as the schema accepts it (string, integer, boolean, array...). */
function fieldType(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { type?: unknown; enum?: unknown[] };
  if (Array.isArray(json.enum)) return json.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  return typeof json.type === 'string' ? json.type : 'any';
}

/**
 * The identity's form, shown by running the kind's own identity function on placeholders:
 * once with every field given and once with the required ones only.
 */
function identityForms(spec: KindSpec): string[] {
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  const placeholder = (f: string) => `<${f}>`;
  const all = Object.fromEntries(Object.keys(shape).map((f) => [f, placeholder(f)]));
  // Fields that may be left out entirely (optional, no default) are dropped for the second form.
  const omittable = (f: string) => {
    const r = shape[f]?.safeParse(undefined);
    return r?.success === true && r.data === undefined;
  };
  const required = Object.fromEntries(
    Object.keys(shape)
      .filter((f) => !omittable(f))
      .map((f) => [f, placeholder(f)]),
  );
  const ctx = { fingerprint: (s: string) => `HMAC(${s})` };
  const forms = new Set<string>();
  for (const props of [all, required]) {
    const id = spec.identity(props, ctx);
    forms.add(id.secretField ? `${code(id.value)} (a fingerprint of ${code(id.secretField)})` : code(id.value));
  }
  return [...forms];
}

function tokenSource(spec: KindSpec): string {
  const s = spec.accessToken;
  switch (s.from) {
    case 'field':
      return `the stored ${code(spec.tokenField ?? '?')}, answered as is`;
    case 'refresh':
      return `refreshed with ${code('refresh_token')} before it expires; kept in ${spec.tokenField ? code(spec.tokenField) : 'a sealed cache'}`;
    case 'mint':
      return `minted from the credential when needed, cached sealed${s.checkNeedsToken ? '; checks use it' : ''}`;
    case 'none':
      return `none: ${s.why}`;
  }
}

/** A Connect endpoint as people read it: start properties and app settings shown as {name}. */
function endpoint(url: (i: EndpointInput) => string, requires: readonly string[]): string {
  const props = Object.fromEntries(requires.map((r) => [r, `{${r}}`]));
  return code(decodeURIComponent(url({ props, settings: { slug: '{slug}' } })));
}

function connectLine(spec: KindSpec): string {
  const c = spec.connect;
  switch (c.flow) {
    case 'oauth': {
      const ask = c.requires.length > 0 ? `; asks first for ${list(c.requires)}` : '';
      const scopes = c.defaultScopes.length > 0 ? list(c.defaultScopes) : 'none';
      return `consent at ${endpoint(c.authorizeUrl, c.requires)}, token at ${endpoint(c.tokenUrl, c.requires)}; default scopes ${scopes}; PKCE ${c.pkce ? 'yes' : 'no'}; revocation ${c.revoke ? 'yes' : 'no'}${ask}`;
    }
    case 'github_app':
      return `GitHub App installation at ${endpoint(c.installUrl, [])}; revocation ${c.revoke ? 'yes (uninstall)' : 'no'}`;
    case 'key':
      return `credvault's own form with ${list(c.fields.map((f) => f.name))}`;
  }
}

function proxyLine(spec: KindSpec): string {
  const base = spec.proxy.base({});
  const to =
    base && 'api' in base
      ? code(PROVIDER_MODULES[spec.provider].baseUrls[base.api] ?? PROVIDER_MODULES[spec.provider].baseUrls.default)
      : "the credential's own host";
  const auth = spec.proxy.auth;
  const how = {
    bearer: () => 'Bearer access token',
    token_header: () => `access token in ${code(auth.scheme === 'token_header' ? auth.header : '')}`,
    stripe_connect: () => "Bearer with the OAuth app's platform key and `Stripe-Account`",
    oauth1: () => 'OAuth 1.0a signature (HMAC-SHA256)',
    query: () => `credentials in the query (${auth.scheme === 'query' ? list(Object.keys(auth.params)) : ''})`,
  }[auth.scheme]();
  return `calls go to ${to}; ${how}`;
}

function kindSection(spec: KindSpec): string {
  const shape = spec.schema.shape as Record<string, z.ZodType>;
  const secrets: readonly string[] = spec.secretFields;
  const rows = Object.entries(shape).map(([f, s]) => {
    const optional = s.safeParse(undefined).success;
    return `| ${code(f)} | ${fieldType(s)} | ${optional ? 'no' : 'yes'} | ${secrets.includes(f) ? 'yes' : ''} |`;
  });
  const lines = [
    `### ${code(spec.kind)}`,
    '',
    `- Provider: ${code(spec.provider)}; aliases: ${list(spec.aliases)}`,
    `- OAuth app: ${spec.oauthApp}`,
    `- Identity: ${identityForms(spec).join(', or ')}`,
    `- Access token: ${tokenSource(spec)}${spec.expiryField ? `; expiry in ${code(spec.expiryField)}` : ''}`,
    `- Learned from the provider: ${list(spec.learnable)}`,
    `- Tenant hosts (vetted at import): ${list(spec.tenantHosts.map((h) => h.field))}`,
  ];
  lines.push(`- Connect: ${connectLine(spec)}`, `- Proxy: ${proxyLine(spec)}`);
  lines.push('', '| field | type | required | secret |', '| --- | --- | --- | --- |', ...rows, '');
  return lines.join('\n');
}

/** The text of docs/kinds.md for the current registries. */
export function generateKindsDoc(): string {
  const out = [
    '# Credential kinds',
    '',
    '<!-- GENERATED by scripts/generate-kinds-doc.ts from the kind and provider registries. Do not edit: change the kind, then run `npm run generate:docs`. -->',
    '',
    'Every kind credvault accepts in `properties.kind`, grouped by provider. Secret fields are encrypted at rest, masked (`***********`) in every answer and redacted from logs; sending the mask back means "keep the stored value". The identity decides which import updates which credential: two imports with the same identity are the same credential.',
    '',
  ];
  for (const [provider, module] of Object.entries(PROVIDER_MODULES)) {
    out.push(`## ${module.displayName} (${code(provider)})`, '');
    const urls = Object.entries(module.baseUrls).map(([name, url]) => `${name} ${code(url)}`);
    out.push(`API endpoints: ${urls.join(', ')}${module.refresh ? '; refreshes tokens' : ''}.`, '');
    for (const kind of KINDS) if (KIND_SPECS[kind].provider === provider) out.push(kindSection(KIND_SPECS[kind]));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

async function main(): Promise<number> {
  const text = generateKindsDoc();
  if (process.argv.includes('--check')) {
    const current = await readFile(KINDS_DOC_PATH, 'utf8').catch(() => '');
    if (current === text) return 0;
    process.stderr.write(`${KINDS_DOC_PATH} is stale: run npm run generate:docs\n`);
    return 1;
  }
  await writeFile(KINDS_DOC_PATH, text);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
