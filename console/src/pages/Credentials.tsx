/** The credentials list: filters kept in the URL (shareable), cursor paging, health as colour and word. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
import { Link, navigate, toQuery, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Empty, ErrorBox, FieldError, HealthBadge, Loading, PageTitle, PagedTable, Time } from '../ui.tsx';

const PAGE = 50;
type Status = 'pending' | 'ok' | 'warn' | 'error';
const isStatus = (s: string | null): s is Status => s === 'pending' || s === 'ok' || s === 'warn' || s === 'error';

interface Filters {
  name: string;
  provider: string;
  kind: string;
  status: string;
  metadata: string;
  app: string;
}

function filtersOf(q: URLSearchParams): Filters {
  return {
    name: q.get('name') ?? '',
    provider: q.get('provider') ?? '',
    kind: q.get('kind') ?? '',
    status: q.get('status') ?? '',
    metadata: q.get('metadata') ?? '',
    app: q.get('app') ?? '',
  };
}

export function CredentialsPage() {
  const { client } = useSession();
  const { query } = useLocation();
  const applied = filtersOf(query);
  const cursor = query.get('cursor') ?? undefined;
  const [draft, setDraft] = useState<Filters>(applied);
  useEffect(() => setDraft(filtersOf(query)), [query.toString()]);

  const status = query.get('status');
  const list = useQuery({
    queryKey: ['credentials', query.toString()],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        client.GET('/v1/credentials', {
          params: {
            query: {
              limit: PAGE,
              ...(applied.name ? { name: applied.name } : {}),
              ...(applied.provider ? { provider: applied.provider } : {}),
              ...(applied.kind ? { kind: applied.kind } : {}),
              ...(isStatus(status) ? { 'health.status': status } : {}),
              ...(applied.metadata ? { metadata: applied.metadata } : {}),
              ...(applied.app ? { oauth_app_id: applied.app } : {}),
              ...(cursor ? { cursor } : {}),
            },
          },
        }),
      ),
  });
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => unwrap(client.GET('/v1/credentials/summary')) });
  const providers = summary.data?.providers.map((p) => p.provider) ?? [];

  const apply = (e: Event) => {
    e.preventDefault();
    navigate(`/credentials${toQuery({ ...draft })}`);
  };
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const anyFilter = Object.values(applied).some((v) => v !== '');

  return (
    <section>
      <PageTitle>Credentials</PageTitle>
      <form class="filters" onSubmit={apply} aria-label="Filter credentials">
        <div>
          <label for="f-name">Name</label>
          <input
            id="f-name"
            type="search"
            value={draft.name}
            onInput={set('name')}
            placeholder="part of a name"
            aria-describedby="f-name-error"
          />
          <FieldError error={list.error} field="name" id="f-name-error" />
        </div>
        <div>
          <label for="f-provider">Provider</label>
          <select id="f-provider" value={draft.provider} onChange={set('provider')}>
            <option value="">Any</option>
            {[...new Set([...providers, ...(draft.provider ? [draft.provider] : [])])].map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-kind">Kind</label>
          <input
            id="f-kind"
            value={draft.kind}
            onInput={set('kind')}
            placeholder="e.g. salesforce_oauth2"
            aria-describedby="f-kind-error"
          />
          <FieldError error={list.error} field="kind" id="f-kind-error" />
        </div>
        <div>
          <label for="f-status">Health</label>
          <select id="f-status" value={draft.status} onChange={set('status')}>
            <option value="">Any</option>
            <option value="error">error</option>
            <option value="warn">warning</option>
            <option value="pending">pending</option>
            <option value="ok">ok</option>
          </select>
        </div>
        <div>
          <label for="f-metadata">Metadata</label>
          <input
            id="f-metadata"
            value={draft.metadata}
            onInput={set('metadata')}
            placeholder='{"customer":"acme"}'
            aria-describedby="f-metadata-error"
          />
          <FieldError error={list.error} field="metadata" id="f-metadata-error" />
        </div>
        <div class="filter-actions">
          <button type="submit">Apply</button>
          {anyFilter && (
            <button type="button" class="secondary" onClick={() => navigate('/credentials')}>
              Clear
            </button>
          )}
        </div>
      </form>
      <ErrorBox error={list.error} fieldsShown={['name', 'kind', 'metadata']} />
      {list.isPending && <Loading what="credentials" />}
      {list.data && list.data.data.length === 0 && (
        <Empty title={anyFilter ? 'No credential matches these filters.' : 'No credentials yet.'}>
          {anyFilter
            ? 'Clear a filter to see more.'
            : 'Import one with POST /v1/credentials or `credvault credentials import FILE`.'}
        </Empty>
      )}
      {list.data && list.data.data.length > 0 && (
        <PagedTable
          caption={<>Credentials{anyFilter ? ' matching the filters' : ''}</>}
          columns={['Name', 'Provider', 'Kind', 'Health', 'Last check', 'Next check']}
          first={
            cursor ? { label: 'First page', go: () => navigate(`/credentials${toQuery({ ...applied })}`) } : undefined
          }
          next={
            list.data.next_cursor
              ? {
                  label: 'Next page',
                  go: () =>
                    navigate(`/credentials${toQuery({ ...applied, cursor: list.data?.next_cursor ?? undefined })}`),
                }
              : undefined
          }
          note={<span class="muted">{list.data.data.length} shown</span>}
        >
          {list.data.data.map((c) => (
            <tr key={c.id} data-id={c.id}>
              <td>
                <Link to={`/credentials/${c.id}`}>
                  {c.name ?? <span class="muted">(unnamed) {c.id.slice(0, 8)}</span>}
                </Link>
              </td>
              <td>{c.provider}</td>
              <td>
                <code>{c.kind}</code>
              </td>
              <td>
                <HealthBadge status={c.health.status} />
              </td>
              <td>
                <Time iso={(c.health as { checked_at?: string | null }).checked_at} empty="never" />
              </td>
              <td>
                <Time iso={(c.health as { next_check_at?: string | null }).next_check_at} empty="not scheduled" />
              </td>
            </tr>
          ))}
        </PagedTable>
      )}
    </section>
  );
}
