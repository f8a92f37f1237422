/**
 * Webhooks (scope admin): endpoints, create (the signing secret shown once), rotate the secret
 * (shown once), send a test event, the deliveries of an endpoint with their status codes, replay
 * and delete (docs/console.md, docs/events.md).
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from '../api.ts';
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

/** A signing secret, shown once after create or rotate; "Done" forgets it (the API never answers it again). */
function SecretOnce({ title, secret, onDone }: { title: string; secret: string; onDone(): void }) {
  return (
    <div class="card" role="status">
      <h2>{title}</h2>
      <p>Copy the signing secret now: it is shown only once and cannot be read again.</p>
      <p>
        <code class="secret" data-testid="webhook-secret">
          {secret}
        </code>{' '}
        <CopyButton text={secret} />
      </p>
      <button type="button" class="secondary" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

function NewEndpoint() {
  const { client } = useSession();
  const qc = useQueryClient();
  const [form, setForm] = useState({ url: '', description: '', types: '' });
  const create = useMutation({
    mutationFn: () => {
      const types = form.types
        .split(/[\s,]+/)
        .map((t) => t.trim())
        .filter((t) => t !== '');
      return unwrap(
        client.POST('/v1/webhook-endpoints', {
          body: {
            url: form.url,
            ...(form.description ? { description: form.description } : {}),
            ...(types.length > 0 ? { event_types: types } : {}),
          },
        }),
      );
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['webhook-endpoints'] }),
  });
  if (create.data) {
    return (
      <SecretOnce
        title={`Endpoint ${create.data.url} created`}
        secret={create.data.secret}
        onDone={() => {
          create.reset();
          setForm({ url: '', description: '', types: '' });
        }}
      />
    );
  }
  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  return (
    <CardForm title="New webhook endpoint" onSubmit={() => create.mutate()}>
      <div>
        <label for="wh-url">URL</label>
        <input
          id="wh-url"
          type="url"
          value={form.url}
          onInput={set('url')}
          placeholder="https://example.com/credvault-events"
          aria-describedby="wh-url-error"
          required
        />
        <FieldError error={create.error} field="url" id="wh-url-error" />
      </div>
      <div>
        <label for="wh-description">Description (optional)</label>
        <input id="wh-description" value={form.description} onInput={set('description')} />
      </div>
      <div>
        <label for="wh-types">Event types (optional; empty means all)</label>
        <input
          id="wh-types"
          value={form.types}
          onInput={set('types')}
          placeholder="credential.health_changed, oauth_app.*"
          aria-describedby="wh-types-error"
        />
        <FieldError error={create.error} field="event_types" id="wh-types-error" />
      </div>
      <ErrorBox error={create.error} fieldsShown={['url', 'event_types']} />
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create endpoint'}
      </button>
    </CardForm>
  );
}

/** An attempt's outcome as colour and word: a 2xx is delivered, anything else failed. */
function AttemptStatus({ code }: { code: number | null }) {
  const ok = code !== null && code >= 200 && code < 300;
  return (
    <span class={`health health-${ok ? 'ok' : 'error'}`}>
      <span class="dot" aria-hidden="true" />
      {code === null ? 'no answer' : `${code} ${ok ? 'delivered' : 'failed'}`}
    </span>
  );
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const { client } = useSession();
  const qc = useQueryClient();
  const [failedOnly, setFailedOnly] = useState(false);
  const [cursor, setCursor] = useState<string | undefined>();
  const list = useQuery({
    queryKey: ['webhook-deliveries', endpointId, failedOnly, cursor],
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
    queryFn: () =>
      unwrap(
        client.GET('/v1/webhook-endpoints/{id}/deliveries', {
          params: {
            path: { id: endpointId },
            query: { limit: 25, ...(failedOnly ? { status: 'failed' as const } : {}), ...(cursor ? { cursor } : {}) },
          },
        }),
      ),
  });
  // Replay from an event: queues again every retained event since it that the endpoint subscribes to.
  const replay = useMutation({
    mutationFn: async (eventId: string) => {
      const ev = await unwrap(client.GET('/v1/events/{id}', { params: { path: { id: eventId } } }));
      return unwrap(
        client.POST('/v1/webhook-endpoints/{id}/replay', {
          params: { path: { id: endpointId } },
          body: { since: ev.created_at },
        }),
      );
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['webhook-deliveries', endpointId] }),
  });
  return (
    <div class="deliveries">
      <h3>Deliveries</h3>
      <label class="check">
        <input
          type="checkbox"
          checked={failedOnly}
          onChange={(e) => {
            setFailedOnly((e.target as HTMLInputElement).checked);
            setCursor(undefined);
          }}
        />{' '}
        Failed only
      </label>
      <ErrorBox error={list.error ?? replay.error} />
      {replay.data && (
        <p role="status" class="muted">
          {replay.data.queued} event{replay.data.queued === 1 ? '' : 's'} queued again.
        </p>
      )}
      {list.isPending && <Loading what="deliveries" />}
      {list.data && list.data.data.length === 0 && (
        <Empty title={failedOnly ? 'No failed delivery.' : 'No delivery yet.'}>
          {failedOnly ? '' : 'Send a test event, or wait for the next change to a credential.'}
        </Empty>
      )}
      {list.data && list.data.data.length > 0 && (
        <ListTable
          caption="Delivery attempts, newest first"
          testId="deliveries"
          columns={[
            'Event',
            'Status',
            'Error',
            { label: 'Duration', class: 'num' },
            'When',
            { label: <span class="sr-only">Actions</span> },
          ]}
        >
          {list.data.data.map((a) => (
            <tr key={a.id} data-event-type={a.event_type}>
              <td>
                <code>{a.event_type}</code>
              </td>
              <td>
                <AttemptStatus code={a.status_code} />
              </td>
              <td>{a.error ?? <span class="muted">—</span>}</td>
              <td class="num">{a.duration_ms} ms</td>
              <td>
                <Time iso={a.attempted_at} />
              </td>
              <td class="actions">
                {a.event_type !== 'webhook_endpoint.test' && (
                  <button
                    type="button"
                    class="secondary"
                    disabled={replay.isPending}
                    title="Queue this event and every later one the endpoint subscribes to again"
                    onClick={() => replay.mutate(a.event_id)}
                  >
                    Replay from here
                  </button>
                )}
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      {list.data?.next_cursor && (
        <nav class="pager" aria-label="Delivery pages">
          <button type="button" class="secondary" onClick={() => setCursor(list.data?.next_cursor ?? undefined)}>
            Older deliveries
          </button>
        </nav>
      )}
    </div>
  );
}

export function WebhooksPage() {
  const { client } = useSession();
  const qc = useQueryClient();
  const [open, setOpen] = useState<string | undefined>();
  const [rotated, setRotated] = useState<{ url: string; secret: string } | undefined>();
  const endpoints = useQuery({
    queryKey: ['webhook-endpoints'],
    queryFn: () => unwrap(client.GET('/v1/webhook-endpoints', { params: { query: { limit: 500 } } })),
  });
  const path = (id: string) => ({ params: { path: { id } } });
  const test = useMutation({
    mutationFn: (id: string) => unwrap(client.POST('/v1/webhook-endpoints/{id}/test', path(id))),
    onSuccess: (_r, id) => {
      setOpen(id);
      void qc.invalidateQueries({ queryKey: ['webhook-deliveries', id] });
    },
  });
  const rotate = useMutation({
    mutationFn: (id: string) => unwrap(client.POST('/v1/webhook-endpoints/{id}/rotate-secret', path(id))),
    onSuccess: (r) => {
      setRotated({ url: r.url, secret: r.secret });
      void qc.invalidateQueries({ queryKey: ['webhook-endpoints'] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(client.DELETE('/v1/webhook-endpoints/{id}', path(id))),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['webhook-endpoints'] }),
  });
  return (
    <section>
      <PageTitle>Webhooks</PageTitle>
      {rotated ? (
        <SecretOnce
          title={`New signing secret for ${rotated.url}`}
          secret={rotated.secret}
          onDone={() => setRotated(undefined)}
        />
      ) : (
        <NewEndpoint />
      )}
      {endpoints.isPending && <Loading what="webhook endpoints" />}
      <ErrorBox error={endpoints.error ?? test.error ?? rotate.error ?? remove.error} />
      {endpoints.data && endpoints.data.data.length === 0 && (
        <Empty title="No webhook endpoints yet.">
          Add one above: credvault then posts every change (a credential created, its health changed…) to it, signed
          with the endpoint's secret.
        </Empty>
      )}
      {endpoints.data && endpoints.data.data.length > 0 && (
        <ul class="endpoints" aria-label="Webhook endpoints">
          {endpoints.data.data.map((ep) => (
            <li key={ep.id} class="card" data-endpoint={ep.url}>
              <p class="health-line">
                <span class={`health health-${ep.enabled ? 'ok' : 'error'}`}>
                  <span class="dot" aria-hidden="true" />
                  {ep.enabled ? 'enabled' : 'disabled'}
                </span>
                <code class="detail">{ep.url}</code>
              </p>
              {ep.disabled_reason && <p class="note">{ep.disabled_reason}</p>}
              {ep.description && <p>{ep.description}</p>}
              <p class="muted">
                Events: {ep.event_types.length > 0 ? ep.event_types.join(', ') : 'all'} · created{' '}
                <Time iso={ep.created_at} />
                {ep.previous_secret_expires_at && (
                  <>
                    {' '}
                    · previous secret also signs until <Time iso={ep.previous_secret_expires_at} />
                  </>
                )}
              </p>
              <div class="actions">
                <button type="button" class="secondary" onClick={() => setOpen(open === ep.id ? undefined : ep.id)}>
                  {open === ep.id ? 'Hide deliveries' : 'Deliveries'}
                </button>{' '}
                <button type="button" class="secondary" disabled={test.isPending} onClick={() => test.mutate(ep.id)}>
                  Send test event
                </button>{' '}
                <ConfirmAction
                  label="Rotate secret"
                  question={`Rotate the signing secret of ${ep.url}? The old one keeps signing for 24 hours.`}
                  busy={rotate.isPending}
                  onConfirm={() => rotate.mutate(ep.id)}
                />{' '}
                <ConfirmAction
                  label="Delete"
                  question={`Delete the endpoint ${ep.url}? Its pending deliveries are dropped.`}
                  busy={remove.isPending}
                  onConfirm={() => remove.mutate(ep.id)}
                />
              </div>
              {open === ep.id && <Deliveries endpointId={ep.id} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
