/**
 * One credential: masked properties, metadata, OAuth app, health with notes and its history
 * (events), check now, re-authorize (a Connect link for this credential), delete.
 */
import { Fragment } from 'preact';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';
import { StartLinkForm } from '../start-link.tsx';
import { ConfirmAction, Empty, ErrorBox, HealthBadge, Loading, PageTitle, Time } from '../ui.tsx';

const EVENT_WORDS: Record<string, string> = {
  'credential.created': 'Imported',
  'credential.updated': 'Updated',
  'credential.deleted': 'Deleted',
  'credential.health_changed': 'Health changed',
  'credential.connected': 'Connected',
};

/** The credential's history: its events, newest first (GET /v1/events?credential_id=). */
function History({ id }: { id: string }) {
  const { client } = useSession();
  const [cursor, setCursor] = useState<string | undefined>();
  const events = useQuery({
    queryKey: ['credential-events', id, cursor],
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        client.GET('/v1/events', {
          params: { query: { credential_id: id, limit: 20, ...(cursor ? { cursor } : {}) } },
        }),
      ),
  });
  if (events.isPending) return <Loading what="the history" />;
  if (events.error) return <ErrorBox error={events.error} />;
  if (events.data.data.length === 0)
    return (
      <Empty title="No events for this credential.">
        Events are kept for the retention period (CREDVAULT_EVENT_RETENTION_DAYS); older history is purged.
      </Empty>
    );
  return (
    <>
      <ol class="history" aria-label="Events, newest first" data-testid="history">
        {events.data.data.map((e) => {
          const d = e.data as { health?: { status?: string; notes?: string[] }; previous_status?: string };
          return (
            <li key={e.id} data-type={e.type}>
              <Time iso={e.created_at} />
              <strong>{EVENT_WORDS[e.type] ?? e.type}</strong>
              {e.type === 'credential.health_changed' && d.health?.status && (
                <span>
                  {d.previous_status && (
                    <>
                      <HealthBadge status={d.previous_status} /> →{' '}
                    </>
                  )}
                  <HealthBadge status={d.health.status} />
                </span>
              )}
              {e.type === 'credential.health_changed' && (d.health?.notes?.length ?? 0) > 0 && (
                <span class="note">{d.health?.notes?.join(' ')}</span>
              )}
            </li>
          );
        })}
      </ol>
      <nav class="pager" aria-label="History pages">
        {cursor && (
          <button type="button" class="secondary" onClick={() => setCursor(undefined)}>
            Newest
          </button>
        )}
        {events.data.next_cursor && (
          <button type="button" class="secondary" onClick={() => setCursor(events.data.next_cursor ?? undefined)}>
            Older events
          </button>
        )}
      </nav>
    </>
  );
}

interface HealthExtra {
  checked_at?: string | null;
  last_ok_at?: string | null;
  next_check_at?: string | null;
  consecutive_failures?: number;
}

export function CredentialPage({ id }: { id: string }) {
  const { client, can } = useSession();
  const qc = useQueryClient();
  const cred = useQuery({
    queryKey: ['credential', id],
    queryFn: () => unwrap(client.GET('/v1/credentials/{id}', { params: { path: { id } } })),
  });
  const check = useMutation({
    mutationFn: () => unwrap(client.POST('/v1/credentials/{id}/check', { params: { path: { id } } })),
    onSuccess: (fresh) => {
      qc.setQueryData(['credential', id], fresh);
      void qc.invalidateQueries({ queryKey: ['summary'] });
      void qc.invalidateQueries({ queryKey: ['credentials'] });
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(client.DELETE('/v1/credentials/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      void qc.invalidateQueries();
      navigate('/credentials');
    },
  });

  if (cred.isPending) return <Loading what="the credential" />;
  if (cred.error || !cred.data) {
    return (
      <section>
        <PageTitle>Credential</PageTitle>
        <ErrorBox error={cred.error} />
        <Link to="/credentials">Back to credentials</Link>
      </section>
    );
  }
  const c = cred.data;
  const h = c.health as typeof c.health & HealthExtra;
  const label = c.name ?? c.id;
  return (
    <section>
      <p class="crumbs">
        <Link to="/credentials">Credentials</Link> / {c.provider}
      </p>
      <PageTitle>{label}</PageTitle>
      <div class="health-panel">
        <p class="health-line">
          <HealthBadge status={h.status} />
          <span class="muted">
            since <Time iso={h.time} />
          </span>
        </p>
        {h.notes.length > 0 ? (
          <ul class="notes" aria-label="Health notes">
            {h.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        ) : (
          <p class="muted">No notes.</p>
        )}
        <dl class="facts">
          <dt>Last check</dt>
          <dd>
            <Time iso={h.checked_at} empty="never" />
          </dd>
          <dt>Last ok</dt>
          <dd>
            <Time iso={h.last_ok_at} empty="never" />
          </dd>
          <dt>Next check</dt>
          <dd>
            <Time iso={h.next_check_at} empty="not scheduled" />
          </dd>
          {(h.consecutive_failures ?? 0) > 0 && (
            <>
              <dt>Failures in a row</dt>
              <dd>{h.consecutive_failures}</dd>
            </>
          )}
        </dl>
        {can('credentials:write') && (
          <button type="button" onClick={() => check.mutate()} disabled={check.isPending}>
            {check.isPending ? 'Checking…' : 'Check now'}
          </button>
        )}
        <ErrorBox error={check.error} />
      </div>

      <h2>History</h2>
      <History id={c.id} />

      {can('credentials:write') && (
        <>
          <h2>Re-authorize</h2>
          <p class="muted">
            A Connect link for this credential: the user consents again (or enters a new key) and the flow must end on
            the same provider account; the credential keeps its id.
          </p>
          <StartLinkForm
            idPrefix="reauth"
            kind={c.kind}
            oauthAppId={c.oauth_app_id}
            credentialId={c.id}
            submitLabel="Get re-authorize link"
          />
        </>
      )}

      <h2>Properties</h2>
      <p class="muted">Secrets are masked; the console never reveals them.</p>
      <dl class="props">
        <dt>id</dt>
        <dd>
          <code>{c.id}</code>
        </dd>
        <dt>kind</dt>
        <dd>
          <code>{c.kind}</code>
        </dd>
        {Object.entries(c.properties)
          .filter(([k]) => k !== 'kind')
          .map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd>
                <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
              </dd>
            </Fragment>
          ))}
      </dl>

      <h2>OAuth app</h2>
      {c.oauth_app ? (
        <p>
          <Link to={`/oauth-apps#${c.oauth_app.id}`}>{c.oauth_app.name}</Link>{' '}
          <span class="muted">({c.oauth_app.provider})</span>
        </p>
      ) : (
        <p class="muted">None.</p>
      )}

      <h2>Metadata</h2>
      {Object.keys(c.metadata).length > 0 ? (
        <pre class="json">{JSON.stringify(c.metadata, null, 2)}</pre>
      ) : (
        <p class="muted">None.</p>
      )}

      <p class="muted">
        Created <Time iso={c.created_at} />, updated <Time iso={c.updated_at} />.
      </p>
      {can('credentials:write') && (
        <div class="danger-zone">
          <ConfirmAction
            label="Delete"
            question={`Delete the credential “${label}”? Its secrets are erased; this cannot be undone.`}
            busy={remove.isPending}
            onConfirm={() => remove.mutate()}
          />
          <ErrorBox error={remove.error} />
        </div>
      )}
    </section>
  );
}
