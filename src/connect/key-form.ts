/**
 * credvault's own key form (docs: Connect, §3): a kind whose Connect slot is `{ flow: 'key' }`
 * gets this form instead of a provider's consent page. A post is checked against the kind's
 * schema and proven with the provider before the credential is stored; a refused one answers the
 * form again with a new CSRF token, the non-secret values kept and the secret ones never echoed.
 */
import { isUuid } from '../lib/ids.js';
import type { ConnectSpec } from '../providers/connect.js';
import { TRANSIENT_REASONS } from '../providers/module.js';
import { type Kind, type Provider, kindSpec } from '../providers/registry.js';
import { keyFormPage } from './html.js';
import type { SessionRow } from './repository.js';
import { BAD_CALLBACK, type FlowDeps, type Outcome, type SessionHelpers } from './session.js';
import { digest, flowCookieName, matchesDigest, randomToken } from './tokens.js';

export function createKeyForm(d: FlowDeps, { appOf, appSecrets, store }: SessionHelpers) {
  async function formOutcome(
    r: SessionRow,
    flow: Extract<ConnectSpec, { flow: 'key' }>,
    csrf: string,
    status: number,
    extra: { values?: Record<string, string>; error?: string; fieldErrors?: Record<string, string[]> } = {},
  ): Promise<Outcome> {
    const app = await appOf(r);
    const module = d.modules[r.provider as Provider];
    return {
      type: 'page',
      status,
      // A successful post is answered with a redirect to redirect_url, which Chromium checks against form-action.
      formTarget: new URL(r.redirect_url).origin,
      html: keyFormPage({
        action: `/link/oauth2/form/${r.id}`,
        csrf,
        appName: app?.name ?? 'An application',
        provider: module.displayName,
        fields: flow.fields,
        values: extra.values ?? {},
        ...(extra.error ? { error: extra.error } : {}),
        ...(extra.fieldErrors ? { fieldErrors: extra.fieldErrors } : {}),
      }),
    };
  }

  async function submitForm(
    id: string,
    fields: Record<string, string>,
    cookieHeader: (name: string) => string | undefined,
  ): Promise<Outcome> {
    const r = isUuid(id) ? await d.repo.byId(id) : undefined;
    const now = d.clock.now();
    const bad: Outcome = { type: 'page', status: 400, html: BAD_CALLBACK };
    if (!r || r.status !== 'authorizing' || new Date(r.expires_at) <= now) return bad;
    const flow: ConnectSpec = kindSpec(r.credential_kind as Kind).connect;
    if (
      flow.flow !== 'key' ||
      !matchesDigest(cookieHeader(flowCookieName(r.id)), r.cookie_digest) ||
      !matchesDigest(fields.csrf, r.csrf_digest)
    )
      return bad;
    if (!(await d.repo.claim(r.id, now))) return bad;
    const values: Record<string, string> = {};
    const props: Record<string, unknown> = {};
    for (const f of flow.fields) {
      const v = (fields[f.name] ?? '').trim();
      if (v !== '') props[f.name] = v;
      if (!f.secret) values[f.name] = v;
    }
    const again = async (status: number, extra: { error?: string; fieldErrors?: Record<string, string[]> }) => {
      const csrf = randomToken();
      await d.repo.reopen(r.id, digest(csrf), d.clock.now());
      return formOutcome(r, flow, csrf, status, { values, ...extra });
    };
    const spec = d.spec(r.credential_kind);
    const parsed = spec?.schema.safeParse(props);
    if (!spec || !parsed?.success) {
      const fieldErrors: Record<string, string[]> = {};
      for (const issue of parsed?.error?.issues ?? [])
        (fieldErrors[String(issue.path[0] ?? 'form')] ??= []).push(issue.message);
      return again(422, { error: 'Some fields are not valid; correct them and submit again.', fieldErrors });
    }
    const app = await appOf(r);
    const module = d.modules[r.provider as Provider];
    const found = await module.identify(
      { kind: r.credential_kind as Kind, properties: parsed.data as Record<string, unknown> },
      d.context(module, app ? appSecrets(app) : undefined),
    );
    if (!found.ok) {
      d.log.info({ connect_session_id: r.id, kind: r.credential_kind, reason: found.reason }, 'connect key refused');
      return again(422, {
        error: TRANSIENT_REASONS.has(found.reason)
          ? `${module.displayName} could not be reached to check these credentials; try again in a moment.`
          : `${module.displayName} refused these credentials: ${found.note}`,
      });
    }
    return store(r, app, props, found);
  }

  return { formOutcome, submitForm };
}
