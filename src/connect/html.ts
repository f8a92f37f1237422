/**
 * credvault's own pages in a Connect flow: plain HTML, no scripts, styles, fonts or images
 * (docs: Connect, §3). Nothing secret is ever rendered: no token, code, state or key.
 */
import type { KeyField } from '../providers/connect.js';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Sent with every page (docs: Connect, §4). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/**
 * The key form's policy: form-action also names the origin of the flow's redirect_url, because
 * browsers apply form-action to the redirect that answers a successful post (docs: Connect, §3).
 */
export function formPolicy(redirectOrigin: string): string {
  return `default-src 'none'; style-src 'self'; form-action 'self' ${redirectOrigin}; frame-ancestors 'none'`;
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function messagePage(title: string, sentences: string[]): string {
  return page(title, sentences.map((s) => `<p>${esc(s)}</p>`).join(''));
}

export interface FormPage {
  action: string;
  csrf: string;
  appName: string;
  provider: string;
  fields: readonly KeyField[];
  /** Non-secret values to fill in again after a refusal. */
  values: Record<string, string>;
  error?: string;
  fieldErrors?: Record<string, string[]>;
}

export function keyFormPage(f: FormPage): string {
  const rows = f.fields
    .map((field) => {
      const value = field.secret ? '' : (f.values[field.name] ?? '');
      const errs = (f.fieldErrors?.[field.name] ?? [])
        .map((e) => `<p role="alert">${esc(`${field.label}: ${e}`)}</p>`)
        .join('');
      return `<p><label for="f_${esc(field.name)}">${esc(field.label)}</label><br><input id="f_${esc(field.name)}" name="${esc(field.name)}" type="${field.secret ? 'password' : 'text'}" value="${esc(value)}" autocomplete="off"${field.optional ? '' : ' required'}></p>${errs}`;
    })
    .join('');
  const error = f.error ? `<p role="alert" id="error">${esc(f.error)}</p>` : '';
  return page(
    `Connect ${f.provider}`,
    `<p>${esc(f.appName)} asks for your ${esc(f.provider)} credentials. They are checked with ${esc(f.provider)} and stored encrypted by credvault.</p>${error}<form method="post" action="${esc(f.action)}"><input type="hidden" name="csrf" value="${esc(f.csrf)}">${rows}<p><button type="submit">Connect</button></p></form>`,
  );
}
