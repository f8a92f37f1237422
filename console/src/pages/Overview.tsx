/** Which connections are broken, since when, and why: counts per provider and the latest failures. */
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../api.ts';
import { Link, toQuery } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Empty, ErrorBox, HealthBadge, Loading, PageTitle, Time } from '../ui.tsx';
import { KeyStatusSection } from './Keys.tsx';

const STATUSES = ['error', 'warn', 'pending', 'ok'] as const;

/**
 * Webhook endpoints that are failing (admin): disabled by credvault, or whose latest delivery
 * attempt did not get a 2xx. One small request per endpoint (its latest attempt).
 */
function FailingWebhooks() {
  const { client } = useSession();
  const failing = useQuery({
    queryKey: ['webhook-endpoints', 'failing'],
    refetchInterval: 30_000,
    queryFn: async () => {
      const endpoints = await unwrap(client.GET('/v1/webhook-endpoints', { params: { query: { limit: 50 } } }));
      const withLast = await Promise.all(
        endpoints.data.map(async (ep) => {
          const last = await unwrap(
            client.GET('/v1/webhook-endpoints/{id}/deliveries', {
              params: { path: { id: ep.id }, query: { limit: 1 } },
            }),
          );
          return { ep, last: last.data[0] };
        }),
      );
      const bad = withLast.filter(
        ({ ep, last }) =>
          !ep.enabled ||
          (last !== undefined && (last.status_code === null || last.status_code < 200 || last.status_code > 299)),
      );
      return { total: endpoints.data.length, bad };
    },
  });
  if (failing.isPending) return <Loading what="webhook endpoints" />;
  if (failing.error) return <ErrorBox error={failing.error} />;
  if (failing.data.total === 0)
    return (
      <Empty title="No webhook endpoints.">
        <Link to="/webhooks">Add one</Link> to be told when a credential breaks.
      </Empty>
    );
  if (failing.data.bad.length === 0) return <p class="muted">All {failing.data.total} webhook endpoints deliver.</p>;
  return (
    <ul class="broken" data-testid="failing-webhooks">
      {failing.data.bad.map(({ ep, last }) => (
        <li key={ep.id}>
          <HealthBadge status="error" /> <Link to="/webhooks">{ep.url}</Link>{' '}
          <span class="muted">
            {ep.enabled ? 'enabled' : 'disabled'}
            {last && (
              <>
                {' '}
                · last attempt <Time iso={last.attempted_at} />
              </>
            )}
          </span>
          <p class="note">
            {ep.disabled_reason ?? last?.error ?? (last?.status_code ? `Answered ${last.status_code}.` : 'No answer.')}
          </p>
        </li>
      ))}
    </ul>
  );
}

export function OverviewPage() {
  const { client, can } = useSession();
  const summary = useQuery({
    queryKey: ['summary'],
    queryFn: () => unwrap(client.GET('/v1/credentials/summary')),
    refetchInterval: 30_000,
  });
  return (
    <section>
      <PageTitle>Overview</PageTitle>
      {summary.isPending && <Loading what="the overview" />}
      <ErrorBox error={summary.error} />
      {summary.data && summary.data.total.total === 0 && (
        <Empty title="No credentials yet.">
          Import one with <code>POST /v1/credentials</code> or <code>credvault credentials import FILE</code>; it
          appears here with its health.
        </Empty>
      )}
      {summary.data && summary.data.total.total > 0 && (
        <>
          <ul class="tiles" aria-label="Credentials by health">
            {STATUSES.map((s) => (
              <li key={s} class={`tile tile-${s}`}>
                <Link to={`/credentials${toQuery({ status: s })}`}>
                  <span class="tile-count" data-testid={`total-${s}`}>
                    {summary.data.total[s]}
                  </span>
                  <HealthBadge status={s} />
                </Link>
              </li>
            ))}
          </ul>
          <h2>By provider</h2>
          <table>
            <caption class="sr-only">Credentials per provider and health</caption>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                {STATUSES.map((s) => (
                  <th scope="col" key={s} class="num">
                    <HealthBadge status={s} />
                  </th>
                ))}
                <th scope="col" class="num">
                  Total
                </th>
              </tr>
            </thead>
            <tbody>
              {summary.data.providers.map((p) => (
                <tr key={p.provider} data-provider={p.provider}>
                  <th scope="row">
                    <Link to={`/credentials${toQuery({ provider: p.provider })}`}>{p.provider}</Link>
                  </th>
                  {STATUSES.map((s) => (
                    <td key={s} class="num">
                      {p[s] > 0 ? (
                        <Link to={`/credentials${toQuery({ provider: p.provider, status: s })}`}>{p[s]}</Link>
                      ) : (
                        <span class="muted">0</span>
                      )}
                    </td>
                  ))}
                  <td class="num">{p.total}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Recently broken</h2>
          {summary.data.recently_broken.length === 0 ? (
            <Empty title="Nothing is broken.">Every checked credential answered its provider.</Empty>
          ) : (
            <ul class="broken">
              {summary.data.recently_broken.map((c) => (
                <li key={c.id}>
                  <HealthBadge status={c.status} /> <Link to={`/credentials/${c.id}`}>{c.name ?? c.id}</Link>{' '}
                  <span class="muted">
                    {c.provider} · since <Time iso={c.since} />
                  </span>
                  {c.notes.length > 0 && <p class="note">{c.notes.join(' ')}</p>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {can('admin') && (
        <>
          <h2>Failing webhook endpoints</h2>
          <FailingWebhooks />
          <KeyStatusSection />
        </>
      )}
    </section>
  );
}
