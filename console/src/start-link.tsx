/**
 * Getting a Connect start link (POST /v1/credentials/start-auth, docs/connect.md): for a new
 * credential on the Connect page, and for an existing one ("Re-authorize", with credential_id)
 * on the credential page. The link is shown with Copy and Open; it is single-use and expires.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { unwrap } from './api.ts';
import { useSession } from './session.tsx';
import { CopyButton, ErrorBox, FieldError, Time } from './ui.tsx';

export interface StartLinkProps {
  /** Prefix of the inputs' ids (two forms may share a page). */
  idPrefix: string;
  kind: string;
  oauthAppId: string | null;
  /** Re-authorize this credential (the flow must end on the same provider account). */
  credentialId?: string;
  name?: string;
  submitLabel: string;
}

export function StartLinkForm({ idPrefix, kind, oauthAppId, credentialId, name, submitLabel }: StartLinkProps) {
  const { client } = useSession();
  const qc = useQueryClient();
  const app = useQuery({
    queryKey: ['oauth-app', oauthAppId],
    enabled: oauthAppId !== null,
    queryFn: () => unwrap(client.GET('/v1/oauth-apps/{id}', { params: { path: { id: oauthAppId ?? '' } } })),
  });
  const redirectUrls = (app.data as { redirect_urls?: string[] } | undefined)?.redirect_urls ?? [];
  const [redirect, setRedirect] = useState<string | undefined>();
  const [expiresMin, setExpiresMin] = useState('5');
  // The app's first redirect URL until the operator types another (an emptied input stays empty).
  const redirectUrl = redirect ?? redirectUrls[0] ?? '';
  const start = useMutation({
    mutationFn: () =>
      unwrap(
        client.POST('/v1/credentials/start-auth', {
          body: {
            credential_kind: kind,
            redirect_url: redirectUrl,
            expires_in: Math.round(Number(expiresMin) * 60),
            ...(oauthAppId ? { oauth_app_id: oauthAppId } : {}),
            ...(credentialId ? { credential_id: credentialId } : {}),
            ...(name ? { name } : {}),
          },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['connect-sessions'] }),
  });
  const id = (s: string) => `${idPrefix}-${s}`;
  return (
    <div class="start-link">
      <form
        class="inline-form"
        aria-label={submitLabel}
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate();
        }}
      >
        <div>
          <label for={id('redirect')}>Redirect URL</label>
          <input
            id={id('redirect')}
            type="url"
            list={id('redirect-list')}
            value={redirectUrl}
            onInput={(e) => setRedirect((e.target as HTMLInputElement).value)}
            placeholder={oauthAppId ? "one of the OAuth app's redirect URLs" : 'one of CREDVAULT_CONNECT_REDIRECT_URLS'}
            aria-describedby={id('redirect-error')}
            required
          />
          <datalist id={id('redirect-list')}>
            {redirectUrls.map((u) => (
              <option key={u} value={u} />
            ))}
          </datalist>
          <FieldError error={start.error} field="redirect_url" id={id('redirect-error')} />
        </div>
        <div>
          <label for={id('expires')}>Valid for (minutes)</label>
          <input
            id={id('expires')}
            type="number"
            min={1}
            max={60}
            value={expiresMin}
            onInput={(e) => setExpiresMin((e.target as HTMLInputElement).value)}
            aria-describedby={id('expires-error')}
          />
          <FieldError error={start.error} field="expires_in" id={id('expires-error')} />
        </div>
        <div class="filter-actions">
          <button type="submit" disabled={start.isPending}>
            {start.isPending ? 'Working…' : submitLabel}
          </button>
        </div>
      </form>
      <ErrorBox error={start.error} fieldsShown={['redirect_url', 'expires_in']} />
      {start.data && (
        <div class="card link-card" role="status">
          <p>
            Send the user to this link. It works once and expires <Time iso={start.data.expires_at} />.
          </p>
          <p>
            <code class="detail" data-testid="start-url">
              {start.data.start_url}
            </code>
          </p>
          <p>
            <CopyButton text={start.data.start_url} label="Copy link" />{' '}
            <a href={start.data.start_url} target="_blank" rel="noopener noreferrer">
              Open link
            </a>
          </p>
        </div>
      )}
    </div>
  );
}
