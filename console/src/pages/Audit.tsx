/** Audit events, newest first: who revealed, deleted or changed what (never a secret value). */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
import { Link, navigate, toQuery, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { CursorPager, Empty, ErrorBox, ListTable, Loading, PageTitle, Time } from '../ui.tsx';

export function AuditPage() {
  const { client } = useSession();
  const { query } = useLocation();
  const cursor = query.get('cursor') ?? undefined;
  const action = query.get('action') ?? '';
  const [draft, setDraft] = useState(action);
  const events = useQuery({
    queryKey: ['audit', cursor ?? ''],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(client.GET('/v1/audit-events', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
  });
  // The API pages by time; the action filter narrows the page shown (kept in the URL).
  const rows = events.data?.data.filter((e) => action === '' || e.action.includes(action)) ?? [];
  return (
    <section>
      <PageTitle>Audit</PageTitle>
      <form
        class="filters"
        aria-label="Filter audit events"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/audit${toQuery({ action: draft, cursor })}`);
        }}
      >
        <div>
          <label for="f-action">Action contains</label>
          <input
            id="f-action"
            value={draft}
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
            placeholder="e.g. reveal, deleted"
          />
        </div>
        <div class="filter-actions">
          <button type="submit">Apply</button>
        </div>
      </form>
      {events.isPending && <Loading what="audit events" />}
      <ErrorBox error={events.error} />
      {events.data && rows.length === 0 && (
        <Empty title="No audit events here.">Reveals, deletions and token changes are recorded as they happen.</Empty>
      )}
      {rows.length > 0 && (
        <ListTable caption="Audit events" columns={['When', 'Action', 'Credential', 'By token', 'Detail']}>
          {rows.map((e) => (
            <tr key={e.id}>
              <td>
                <Time iso={e.created_at} />
              </td>
              <td>
                <code>{e.action}</code>
              </td>
              <td>
                {e.credential_id ? (
                  <Link to={`/credentials/${e.credential_id}`}>{e.credential_id.slice(0, 8)}</Link>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td>
                {e.actor_token_id ? <code>{e.actor_token_id.slice(0, 8)}</code> : <span class="muted">system</span>}
              </td>
              <td>
                <code class="detail">{JSON.stringify(e.detail)}</code>
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      <CursorPager
        first={cursor ? { label: 'Newest', go: () => navigate(`/audit${toQuery({ action })}`) } : undefined}
        next={
          events.data?.next_cursor
            ? {
                label: 'Older',
                go: () => navigate(`/audit${toQuery({ action, cursor: events.data?.next_cursor ?? undefined })}`),
              }
            : undefined
        }
      />
    </section>
  );
}
