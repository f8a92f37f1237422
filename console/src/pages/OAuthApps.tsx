/** OAuth apps: list with health, create, edit (name, client secret, settings), the credentials using each. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
import type { paths } from '../../../src/client/index.ts';
import { Link, toQuery } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Empty, ErrorBox, FieldError, HealthBadge, ListTable, Loading, PageTitle, Time } from '../ui.tsx';

type CreateBody = paths['/v1/oauth-apps']['post']['requestBody']['content']['application/json'];

/** Settings typed as JSON in a textarea; a parse error is shown on the field, nothing is sent. */
function parseSettings(text: string): { value?: Record<string, string | number | boolean | null>; error?: string } {
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return { error: 'must be a JSON object, e.g. {"login_url":"https://test.salesforce.com"}' };
    return { value: v as Record<string, string | number | boolean | null> };
  } catch {
    return { error: 'is not valid JSON' };
  }
}

function AppForm({ providers, onDone }: { providers: readonly string[]; onDone(): void }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [form, setForm] = useState({
    name: '',
    provider: providers[0] ?? '',
    client_id: '',
    client_secret: '',
    settings: '',
  });
  const [settingsError, setSettingsError] = useState<string | undefined>();
  const create = useMutation({
    mutationFn: (body: CreateBody) => unwrap(client.POST('/v1/oauth-apps', { body })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['oauth-apps'] });
      onDone();
    },
  });
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    const s = parseSettings(form.settings);
    setSettingsError(s.error);
    if (s.error) return;
    create.mutate({
      name: form.name,
      provider: form.provider as CreateBody['provider'],
      client_id: form.client_id,
      client_secret: form.client_secret,
      ...(s.value ? { settings: s.value } : {}),
    });
  };
  const field = (id: string, label: string, k: keyof typeof form, type = 'text') => (
    <div>
      <label for={id}>{label}</label>
      <input
        id={id}
        type={type}
        autocomplete="off"
        value={form[k]}
        onInput={set(k)}
        aria-describedby={`${id}-error`}
        required
      />
      <FieldError error={create.error} field={k} id={`${id}-error`} />
    </div>
  );
  return (
    <form class="card" onSubmit={submit} aria-label="New OAuth app">
      <h2>New OAuth app</h2>
      {field('app-name', 'Name', 'name')}
      <div>
        <label for="app-provider">Provider</label>
        <select id="app-provider" value={form.provider} onChange={set('provider')}>
          {providers.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      {field('app-client-id', 'Client id', 'client_id')}
      {field('app-client-secret', 'Client secret', 'client_secret', 'password')}
      <div>
        <label for="app-settings">Settings (JSON, optional)</label>
        <textarea
          id="app-settings"
          rows={3}
          value={form.settings}
          onInput={set('settings')}
          aria-describedby="app-settings-error"
        />
        {settingsError ? (
          <p class="field-error" id="app-settings-error">
            {settingsError}
          </p>
        ) : (
          <FieldError error={create.error} field="settings" id="app-settings-error" />
        )}
      </div>
      <ErrorBox error={create.error} fieldsShown={['name', 'provider', 'client_id', 'client_secret', 'settings']} />
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create OAuth app'}
      </button>{' '}
      <button type="button" class="secondary" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

function EditApp({ id, name, onDone }: { id: string; name: string; onDone(): void }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [form, setForm] = useState({ name, client_secret: '' });
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        client.PATCH('/v1/oauth-apps/{id}', {
          params: { path: { id } },
          body: { name: form.name, ...(form.client_secret ? { client_secret: form.client_secret } : {}) },
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['oauth-apps'] });
      onDone();
    },
  });
  return (
    <form
      class="inline-edit"
      aria-label={`Edit ${name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <label for={`edit-name-${id}`}>Name</label>
      <input
        id={`edit-name-${id}`}
        value={form.name}
        onInput={(e) => setForm({ ...form, name: (e.target as HTMLInputElement).value })}
      />
      <label for={`edit-secret-${id}`}>New client secret (leave empty to keep)</label>
      <input
        id={`edit-secret-${id}`}
        type="password"
        autocomplete="off"
        value={form.client_secret}
        onInput={(e) => setForm({ ...form, client_secret: (e.target as HTMLInputElement).value })}
      />
      <ErrorBox error={save.error} />
      <button type="submit" disabled={save.isPending}>
        Save
      </button>{' '}
      <button type="button" class="secondary" onClick={onDone}>
        Cancel
      </button>
    </form>
  );
}

export function OAuthAppsPage() {
  const { client, can } = useSession();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | undefined>();
  const apps = useQuery({
    queryKey: ['oauth-apps'],
    queryFn: () => unwrap(client.GET('/v1/oauth-apps', { params: { query: { limit: 500 } } })),
  });
  const spec = useQuery({
    queryKey: ['openapi'],
    queryFn: () => fetch('/openapi.json').then((r) => r.json() as Promise<unknown>),
    staleTime: Infinity,
  });
  const providers = providersOf(spec.data);
  return (
    <section>
      <PageTitle>OAuth apps</PageTitle>
      {can('credentials:write') && !creating && (
        <button type="button" onClick={() => setCreating(true)}>
          New OAuth app
        </button>
      )}
      {creating && <AppForm providers={providers} onDone={() => setCreating(false)} />}
      {apps.isPending && <Loading what="OAuth apps" />}
      <ErrorBox error={apps.error} />
      {apps.data && apps.data.data.length === 0 && (
        <Empty title="No OAuth apps yet.">
          An OAuth app holds the client id and secret that refresh your customers' tokens. Create one for each provider
          you connect.
        </Empty>
      )}
      {apps.data && apps.data.data.length > 0 && (
        <ListTable
          caption="OAuth apps"
          columns={[
            'Name',
            'Provider',
            'Client id',
            'Health',
            'Updated',
            { label: <span class="sr-only">Actions</span> },
          ]}
        >
          {apps.data.data.map((a) => (
            <tr key={a.id} id={a.id}>
              <td>
                {editing === a.id ? <EditApp id={a.id} name={a.name} onDone={() => setEditing(undefined)} /> : a.name}
                {a.health.notes.length > 0 && <p class="note">{a.health.notes.join(' ')}</p>}
              </td>
              <td>{a.provider}</td>
              <td>
                <code>{a.client_id}</code>
              </td>
              <td>
                <HealthBadge status={a.health.status} />
              </td>
              <td>
                <Time iso={a.updated_at} />
              </td>
              <td class="actions">
                <Link to={`/credentials${toQuery({ app: a.id })}`}>Credentials</Link>
                {can('credentials:write') && editing !== a.id && (
                  <button type="button" class="secondary" onClick={() => setEditing(a.id)}>
                    Edit
                  </button>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      )}
    </section>
  );
}

/** The provider names, read from the server's own OpenAPI document (one list, on the server). */
function providersOf(doc: unknown): string[] {
  const schemas = (
    doc as
      | {
          paths?: Record<
            string,
            {
              post?: {
                requestBody?: {
                  content?: Record<string, { schema?: { properties?: { provider?: { enum?: string[] } } } }>;
                };
              };
            }
          >;
        }
      | undefined
  )?.paths;
  const e =
    schemas?.['/v1/oauth-apps']?.post?.requestBody?.content?.['application/json']?.schema?.properties?.provider?.enum;
  return e ?? [];
}
