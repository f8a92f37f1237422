/** Shared pieces of every page: health as colour and word, relative times, errors, empty states. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError } from './api.ts';

export type HealthStatus = 'pending' | 'ok' | 'warn' | 'error';

const HEALTH_WORD: Record<HealthStatus, string> = { ok: 'ok', warn: 'warning', error: 'error', pending: 'pending' };

/** Health is never colour alone: the word is always there (and read by screen readers). */
export function HealthBadge({ status }: { status: string }) {
  const s = (['ok', 'warn', 'error', 'pending'] as const).find((x) => x === status) ?? 'pending';
  return (
    <span class={`health health-${s}`}>
      <span class="dot" aria-hidden="true" />
      {HEALTH_WORD[s]}
    </span>
  );
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relative(iso: string, now = Date.now()): string {
  const secs = Math.round((new Date(iso).getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(secs) >= size || unit === 'second') return rtf.format(Math.round(secs / size), unit);
  }
  return iso;
}

/** "3 minutes ago", with the exact UTC time on hover and for assistive technology. */
export function Time({ iso, empty = '—' }: { iso: string | null | undefined; empty?: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  if (!iso) return <span class="muted">{empty}</span>;
  const exact = new Date(iso).toISOString().replace('.000Z', 'Z').replace('T', ' ').replace('Z', ' UTC');
  return (
    <time dateTime={iso} title={exact} aria-label={`${relative(iso)} (${exact})`}>
      {relative(iso)}
    </time>
  );
}

/** The API's summary, and its field errors when the form has no place for them. */
export function ErrorBox({ error, fieldsShown = [] }: { error: unknown; fieldsShown?: string[] }) {
  if (!error) return null;
  const { summary, fields } = describeError(error);
  const rest = Object.entries(fields).filter(([f]) => !fieldsShown.some((shown) => belongsTo(f, shown)));
  return (
    <div class="error-box" role="alert">
      <strong>{summary}</strong>
      {rest.length > 0 && (
        <ul>
          {rest.map(([f, msgs]) => (
            <li key={f}>
              <code>{f}</code> {msgs.join('; ')}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A validation error path belongs to an input when it is the input's field or below it (settings.x). */
function belongsTo(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}.`);
}

/** The field errors of one input (and of the members below it), next to it. */
export function FieldError({ error, field, id }: { error: unknown; field: string; id: string }) {
  if (!error) return null;
  const msgs = Object.entries(describeError(error).fields)
    .filter(([path]) => belongsTo(path, field))
    .flatMap(([path, m]) => m.map((text) => (path === field ? text : `${path.slice(field.length + 1)}: ${text}`)));
  if (msgs.length === 0) return null;
  return (
    <p class="field-error" id={id}>
      {msgs.join('; ')}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children && <p>{children}</p>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="secondary"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setDone(true));
      }}
    >
      {done ? 'Copied' : label}
    </button>
  );
}

/** A destructive action that asks first, naming what it will remove. */
export function ConfirmAction({
  label,
  question,
  onConfirm,
  busy,
}: {
  label: string;
  question: string;
  onConfirm(): void;
  busy?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div class="confirm" role="alertdialog" aria-label={question}>
      <p>{question}</p>
      <button type="button" class="danger" disabled={busy} onClick={onConfirm}>
        {busy ? 'Working…' : `Yes, ${label.toLowerCase()}`}
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </div>
  );
}

export function PageTitle({ children }: { children: ComponentChildren }) {
  useEffect(() => {
    const text = typeof children === 'string' ? children : 'console';
    document.title = `${text} · credvault`;
  }, [children]);
  return <h1>{children}</h1>;
}
