/**
 * OAuth apps bound to the hosts their secret may be sent to (issue 13 item 1; security.md A5).
 *
 * A per-instance kind (ServiceNow instance, Workday tenant host, Auth0 domain) sends the OAuth
 * app's client id and secret to a host the credential names. An importer who may not read the
 * app's secret must not be able to send it anywhere: the kind's tenant host must end in one of
 * the provider's suffixes (plus CREDVAULT_PROVIDER_HOSTS_<P>), and, for an app, be covered by
 * the app's `hosts` setting: comma- or space-separated host names, `*.example.com` covering
 * subdomains. The rule itself is data on the kind (KindSpec.tenantHost).
 */
import { hostMatchesSuffixes, normalizeHostName } from '../net/hosts.js';
import type { KindSpec, Provider } from '../providers/types.js';

/** The setting naming an app's hosts. */
export const APP_HOSTS_SETTING = 'hosts';

export interface AppLike {
  id: string;
  name: string;
  settings: Record<string, unknown>;
}

/** The tenant host a credential's properties name, normalized; undefined when the kind has none. */
export function tenantHostOf(
  spec: KindSpec,
  props: Record<string, unknown>,
): { field: string; host: string } | undefined {
  const rule = spec.tenantHost;
  if (!rule) return undefined;
  const v = props[rule.field];
  if (typeof v !== 'string') return undefined;
  if (rule.form === 'host') return { field: rule.field, host: normalizeHostName(v) };
  try {
    return { field: rule.field, host: normalizeHostName(new URL(v).hostname) };
  } catch {
    return undefined;
  }
}

/** The app's `hosts` setting as a list: exact names and `*.suffix` patterns. */
export function appHosts(settings: Record<string, unknown>): string[] {
  const v = settings[APP_HOSTS_SETTING];
  if (typeof v !== 'string') return [];
  return v
    .split(/[\s,]+/)
    .map((h) => normalizeHostName(h))
    .filter((h) => h.length > 0);
}

/** Whether the app's `hosts` setting covers `host`. */
export function appCovers(settings: Record<string, unknown>, host: string): boolean {
  const name = normalizeHostName(host);
  return appHosts(settings).some((h) =>
    h.startsWith('*.') ? hostMatchesSuffixes(name, [h.slice(2)]) && name !== h.slice(2) : h === name,
  );
}

/** Why this app may not send its secret to `host`, as a sentence naming the setting to change; undefined when it may. */
export function appHostRefusal(app: AppLike, host: string): string | undefined {
  if (appCovers(app.settings, host)) return undefined;
  const listed = appHosts(app.settings);
  const now = listed.length === 0 ? 'names no hosts' : `names only ${listed.join(', ')}`;
  return `is not a host OAuth app "${app.name}" (${app.id}) may send its client secret to: the app's settings.${APP_HOSTS_SETTING} ${now}. Add "${host}" to settings.${APP_HOSTS_SETTING} of that app (PATCH /v1/oauth-apps/${app.id}; comma-separated host names, *.example.com for subdomains) and import again.`;
}

/**
 * Import-time check: the tenant host ends in an allowed suffix and the OAuth app covers it.
 * Answers validation errors keyed by `properties.<field>`.
 */
export function checkTenantHost(
  spec: KindSpec,
  props: Record<string, unknown>,
  extraHosts: Partial<Record<Provider, readonly string[]>>,
  app: AppLike | null,
): Record<string, string[]> {
  const rule = spec.tenantHost;
  const found = tenantHostOf(spec, props);
  if (!rule || !found) return {};
  const key = `properties.${found.field}`;
  const suffixes = [...rule.suffixes, ...(extraHosts[spec.provider] ?? [])];
  if (!hostMatchesSuffixes(found.host, suffixes)) {
    return {
      [key]: [
        `must be a host under ${suffixes.join(', ')} (the operator allows other domains with CREDVAULT_PROVIDER_HOSTS_${spec.provider.toUpperCase()})`,
      ],
    };
  }
  if (rule.appBound && app) {
    const refusal = appHostRefusal(app, found.host);
    if (refusal) return { [key]: [refusal] };
  }
  return {};
}
