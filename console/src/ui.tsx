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

/** A form shown as a card, named by its title: the form's accessible name and its heading. */
export function CardForm({
  title,
  onSubmit,
  children,
}: {
  title: string;
  onSubmit(): void;
  children: ComponentChildren;
}) {
  return (
    <form
      class="card"
      aria-label={title}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <h2>{title}</h2>
      {children}
    </form>
  );
}

/** A column header of a list table: its label, or markup (an sr-only "Actions") and a class. */
export type Column = string | { label: ComponentChildren; class?: string };

/** A list: its caption for assistive technology, one header row, the rows given as children. */
export function ListTable({
  caption,
  columns,
  testId,
  children,
}: {
  caption: ComponentChildren;
  columns: Column[];
  testId?: string;
  children: ComponentChildren;
}) {
  return (
    <table class="list" data-testid={testId}>
      <caption class="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c, i) =>
            typeof c === 'string' ? (
              <th key={i} scope="col">
                {c}
              </th>
            ) : (
              <th key={i} scope="col" class={c.class}>
                {c.label}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** One step of a cursor pager: its button's label and where it goes. */
export interface PagerStep {
  label: string;
  go(): void;
}

/** Cursor paging: back to the first page (while on a later one) and on to the next (while there is one). */
export function CursorPager({
  label = 'Pages',
  first,
  next,
  children,
}: {
  label?: string;
  first?: PagerStep | undefined;
  next?: PagerStep | undefined;
  children?: ComponentChildren;
}) {
  return (
    <nav class="pager" aria-label={label}>
      {first && (
        <button type="button" class="secondary" onClick={first.go}>
          {first.label}
        </button>
      )}
      {next && (
        <button type="button" onClick={next.go}>
          {next.label}
        </button>
      )}
      {children}
    </nav>
  );
}

/** A list table with its cursor pager under it (`note`: a word beside the buttons). */
export function PagedTable({
  first,
  next,
  note,
  ...table
}: Parameters<typeof ListTable>[0] & {
  first?: PagerStep | undefined;
  next?: PagerStep | undefined;
  note?: ComponentChildren;
}) {
  return (
    <>
      <ListTable {...table} />
      <CursorPager first={first} next={next}>
        {note}
      </CursorPager>
    </>
  );
}
