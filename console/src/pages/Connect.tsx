/**
 * Connect: pick a kind and an OAuth app, get a start link (copy / open), and see the recent
 * Connect flows with why failed ones failed (docs/console.md, docs/connect.md).
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
import { useApiDocument, kindsOf } from '../kinds.ts';
import { Link, navigate, toQuery, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';
import { StartLinkForm } from '../start-link.tsx';
import { Empty, ErrorBox, Loading, PageTitle, PagedTable, Time } from '../ui.tsx';

const STATUSES = ['pending', 'authorizing', 'completed', 'failed', 'expired'] as const;
type SessionStatus = (typeof STATUSES)[number];
const isStatus = (s: string | null): s is SessionStatus => STATUSES.some((x) => x === s);

/** A flow's status as colour and word (the health palette: completed ok, failed error). */
function FlowStatus({ status }: { status: SessionStatus }) {
  const tone =
    status === 'completed' ? 'ok' : status === 'failed' ? 'error' : status === 'expired' ? 'warn' : 'pending';
  return (
    <span class={`health health-${tone}`}>
      <span class="dot" aria-hidden="true" />
      {status}
    </span>
  );
}

function NewLink() {
  const { client } = useSession();
  const doc = useApiDocument();
  const kinds = kindsOf(doc.data);
  const apps = useQuery({
    queryKey: ['oauth-apps'],
    queryFn: () => unwrap(client.GET('/v1/oauth-apps', { params: { query: { limit: 500 } } })),
  });
  const [kind, setKind] = useState('');
  const [appId, setAppId] = useState('');
  const [name, setName] = useState('');
  const info = kinds.find((k) => k.kind === kind) ?? kinds[0];
  const fitting = (apps.data?.data ?? []).filter((a) => info && a.provider === info.provider);
  const chosenApp = fitting.find((a) => a.id === appId) ?? (info?.appRequired ? fitting[0] : undefined);
  return (
    <section class="card" aria-labelledby="new-link-title">
      <h2 id="new-link-title">New connect link</h2>
      <div class="inline-form">
        <div>
          <label for="connect-kind">Kind</label>
          <select
            id="connect-kind"
            value={info?.kind ?? ''}
            onChange={(e) => {
              setKind((e.target as HTMLSelectElement).value);
              setAppId('');
            }}
          >
            {kinds.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.kind}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="connect-app">OAuth app{info?.appRequired ? '' : ' (optional)'}</label>
          <select
            id="connect-app"
            value={chosenApp?.id ?? ''}
            onChange={(e) => setAppId((e.target as HTMLSelectElement).value)}
          >
            {!info?.appRequired && <option value="">None</option>}
            {fitting.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="connect-name">Name of the credential (optional)</label>
          <input id="connect-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </div>
      </div>
      {info?.appRequired && apps.data && fitting.length === 0 && (
        <p class="note">
          A <code>{info.kind}</code> link needs an OAuth app for {info.provider}:{' '}
          <Link to="/oauth-apps">create one</Link> (with a redirect URL) first.
        </p>
      )}
      {info && (
        <StartLinkForm
          key={`${info.kind}:${chosenApp?.id ?? ''}`}
          idPrefix="connect"
          kind={info.kind}
          oauthAppId={chosenApp?.id ?? null}
          {...(name ? { name } : {})}
          submitLabel="Get connect link"
        />
      )}
    </section>
  );
}

export function ConnectPage() {
  const { client, can } = useSession();
  const { query } = useLocation();
  const status = query.get('status');
  const cursor = query.get('cursor') ?? undefined;
  const sessions = useQuery({
    queryKey: ['connect-sessions', query.toString()],
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
    queryFn: () =>
      unwrap(
        client.GET('/v1/connect-sessions', {
          params: { query: { limit: 50, ...(isStatus(status) ? { status } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  return (
    <section>
      <PageTitle>Connect</PageTitle>
      <p class="muted">
        A connect link sends one of your users to the provider (or to credvault's key form); the credential lands here,
        checked.
      </p>
      {can('credentials:write') && <NewLink />}
      <h2>Recent connect flows</h2>
      <form class="filters" aria-label="Filter connect flows" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="flow-status">Status</label>
          <select
            id="flow-status"
            value={isStatus(status) ? status : ''}
            onChange={(e) => navigate(`/connect${toQuery({ status: (e.target as HTMLSelectElement).value })}`)}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </form>
      {sessions.isPending && <Loading what="connect flows" />}
      <ErrorBox error={sessions.error} />
      {sessions.data && sessions.data.data.length === 0 && (
        <Empty title={status ? `No ${status} connect flow.` : 'No connect flows yet.'}>
          Get a connect link above (or with <code>POST /v1/credentials/start-auth</code>) and send your user to it.
        </Empty>
      )}
      {sessions.data && sessions.data.data.length > 0 && (
        <PagedTable
          caption="Connect flows, newest first"
          testId="connect-sessions"
          columns={['Status', 'Kind', 'Credential', 'Why it failed', 'Started', 'Expires']}
          first={
            cursor
              ? { label: 'First page', go: () => navigate(`/connect${toQuery({ status: status ?? '' })}`) }
              : undefined
          }
          next={
            sessions.data.next_cursor
              ? {
                  label: 'Next page',
                  go: () =>
                    navigate(
                      `/connect${toQuery({ status: status ?? '', cursor: sessions.data?.next_cursor ?? undefined })}`,
                    ),
                }
              : undefined
          }
        >
          {sessions.data.data.map((s) => (
            <tr key={s.id} data-session={s.id}>
              <td>
                <FlowStatus status={s.status} />
              </td>
              <td>
                <code>{s.credential_kind}</code>
              </td>
              <td>
                {s.credential_id ? (
                  <Link to={`/credentials/${s.credential_id}`}>{s.credential_id.slice(0, 8)}</Link>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td>
                {s.error ? (
                  <>
                    <code>{s.error.reason}</code> {s.error.message}
                  </>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td>
                <Time iso={s.created_at} />
              </td>
              <td>
                <Time iso={s.expires_at} />
              </td>
            </tr>
          ))}
        </PagedTable>
      )}
    </section>
  );
}
