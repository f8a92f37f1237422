/** API tokens: list, create (scopes no wider than the caller's; the token shown once), revoke. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { type Scope, unwrap } from '../api.ts';
import { useSession } from '../session.tsx';
import {
  CardForm,
  ConfirmAction,
  CopyButton,
  Empty,
  ErrorBox,
  FieldError,
  ListTable,
  Loading,
  PageTitle,
  Time,
} from '../ui.tsx';

const ALL_SCOPES: Scope[] = [
  'credentials:read',
  'credentials:write',
  'credentials:use',
  'secrets:reveal',
  'tokens:manage',
  'admin',
];

function NewToken() {
  const { client, scopes } = useSession();
  const qc = useQueryClient();
  const grantable = ALL_SCOPES.filter((s) => scopes.has(s));
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Set<Scope>>(new Set(['credentials:read']));
  const create = useMutation({
    mutationFn: () =>
      unwrap(client.POST('/v1/api-tokens', { body: { name, scopes: ALL_SCOPES.filter((s) => chosen.has(s)) } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  if (create.data) {
    return (
      <div class="card" role="status">
        <h2>Token “{create.data.name}” created</h2>
        <p>Copy it now: it is shown only once and cannot be read again.</p>
        <p>
          <code class="secret" data-testid="new-token">
            {create.data.token}
          </code>{' '}
          <CopyButton text={create.data.token} />
        </p>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            create.reset();
            setName('');
          }}
        >
          Done
        </button>
      </div>
    );
  }
  return (
    <CardForm title="New API token" onSubmit={() => create.mutate()}>
      <div>
        <label for="token-name">Name</label>
        <input
          id="token-name"
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          required
          aria-describedby="token-name-error"
        />
        <FieldError error={create.error} field="name" id="token-name-error" />
      </div>
      <fieldset>
        <legend>Scopes (at most your own)</legend>
        {grantable.map((s) => (
          <label key={s} class="check">
            <input
              type="checkbox"
              checked={chosen.has(s)}
              onChange={(e) => {
                const next = new Set(chosen);
                if ((e.target as HTMLInputElement).checked) next.add(s);
                else next.delete(s);
                setChosen(next);
              }}
            />{' '}
            <code>{s}</code>
          </label>
        ))}
      </fieldset>
      <ErrorBox error={create.error} fieldsShown={['name']} />
      <button type="submit" disabled={create.isPending || chosen.size === 0}>
        Create token
      </button>
    </CardForm>
  );
}

export function TokensPage() {
  const { client, tokenId } = useSession();
  const qc = useQueryClient();
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: () => unwrap(client.GET('/v1/api-tokens', { params: { query: { limit: 500 } } })),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/v1/api-tokens/{id}', { params: { path: { id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['tokens'] }),
  });
  return (
    <section>
      <PageTitle>API tokens</PageTitle>
      <NewToken />
      {tokens.isPending && <Loading what="tokens" />}
      <ErrorBox error={tokens.error ?? revoke.error} />
      {tokens.data && tokens.data.data.length === 0 && <Empty title="No tokens." />}
      {tokens.data && tokens.data.data.length > 0 && (
        <ListTable
          caption="API tokens of this account"
          columns={['Name', 'Prefix', 'Scopes', 'Created', { label: <span class="sr-only">Actions</span> }]}
        >
          {tokens.data.data.map((t) => (
            <tr key={t.id} data-token={t.name}>
              <td>
                {t.name} {t.id === tokenId && <span class="tag">this session</span>}
              </td>
              <td>
                <code>{t.prefix}…</code>
              </td>
              <td>{t.scopes.join(', ')}</td>
              <td>
                <Time iso={t.created_at} />
              </td>
              <td class="actions">
                {t.id !== tokenId && (
                  <ConfirmAction
                    label="Revoke"
                    question={`Revoke the token “${t.name}”? Clients using it stop working at once.`}
                    busy={revoke.isPending}
                    onConfirm={() => revoke.mutate(t.id)}
                  />
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      )}
    </section>
  );
}
