/** Which connections are broken, since when, and why: counts per provider and the latest failures. */
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../api.ts';
import { Link, toQuery } from '../router.tsx';
import { useSession } from '../session.tsx';
import { Empty, ErrorBox, HealthBadge, Loading, PageTitle, Time } from '../ui.tsx';
import { KeyStatusSection } from './Keys.tsx';

const STATUSES = ['error', 'warn', 'pending', 'ok'] as const;

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
      {can('admin') && <KeyStatusSection />}
    </section>
  );
}
