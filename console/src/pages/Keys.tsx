/**
 * Master key status for admins (GET /v1/keys, docs/api.md "Master key status"): which key id
 * seals new secrets and which key ids each running node holds, so an operator sees whether
 * `credvault keys promote` would be refused. Key ids and times only; promotion stays a CLI command.
 */
import { useQuery } from '@tanstack/react-query';
import { unwrap } from '../api.ts';
import { useSession } from '../session.tsx';
import { ErrorBox, Loading, Time } from '../ui.tsx';

export function KeyStatusSection() {
  const { client } = useSession();
  const keys = useQuery({
    queryKey: ['keys'],
    queryFn: () => unwrap(client.GET('/v1/keys')),
    refetchInterval: 30_000,
  });
  return (
    <>
      <h2>Master keys</h2>
      {keys.isPending && <Loading what="the master keys" />}
      <ErrorBox error={keys.error} />
      {keys.data && (
        <>
          <p>
            New secrets are sealed with key <code data-testid="primary-kid">{keys.data.primary_kid ?? '—'}</code>
            {keys.data.promoted_at && (
              <>
                {' '}
                (since <Time iso={keys.data.promoted_at} />)
              </>
            )}
            . Rotate with <code>credvault keys promote</code> (README, “Rotating the master key”).
          </p>
          <table>
            <caption class="sr-only">Nodes and the master key ids they hold</caption>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Holds</th>
                <th scope="col">Seals with</th>
                <th scope="col">Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.nodes.map((n) => (
                <tr key={n.node_id} data-node={n.node_id}>
                  <th scope="row">{n.node_id}</th>
                  <td>{n.kids.join(', ')}</td>
                  <td>{n.primary_kid}</td>
                  <td>
                    <Time iso={n.heartbeat_at} /> {n.live ? '' : <span class="muted">(not live)</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
