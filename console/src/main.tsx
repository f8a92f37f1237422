/** The console's shell: sign-in, navigation by scope, and the page for the current path. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { type Session, resumeSession, signOut } from './api.ts';
import { AuditPage } from './pages/Audit.tsx';
import { ConnectPage } from './pages/Connect.tsx';
import { CredentialPage } from './pages/Credential.tsx';
import { CredentialsPage } from './pages/Credentials.tsx';
import { OAuthAppsPage } from './pages/OAuthApps.tsx';
import { OverviewPage } from './pages/Overview.tsx';
import { SignInPage } from './pages/SignIn.tsx';
import { TokensPage } from './pages/Tokens.tsx';
import { WebhooksPage } from './pages/Webhooks.tsx';
import { Link, RouterProvider, useLocation } from './router.tsx';
import { SessionContext } from './session.tsx';
import './style.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: true } },
});

interface NavItem {
  to: string;
  label: string;
  show(s: Session): boolean;
}
const NAV: NavItem[] = [
  { to: '/', label: 'Overview', show: (s) => s.can('credentials:read') },
  { to: '/credentials', label: 'Credentials', show: (s) => s.can('credentials:read') },
  { to: '/connect', label: 'Connect', show: (s) => s.can('credentials:read') },
  { to: '/oauth-apps', label: 'OAuth apps', show: (s) => s.can('credentials:read') },
  { to: '/webhooks', label: 'Webhooks', show: (s) => s.can('admin') },
  { to: '/audit', label: 'Audit', show: (s) => s.can('credentials:read') },
  { to: '/tokens', label: 'API tokens', show: (s) => s.can('tokens:manage') },
];

function Page() {
  const { path } = useLocation();
  const cred = /^\/credentials\/([^/]+)$/.exec(path);
  if (cred?.[1]) return <CredentialPage id={decodeURIComponent(cred[1])} />;
  switch (path) {
    case '/':
      return <OverviewPage />;
    case '/credentials':
      return <CredentialsPage />;
    case '/connect':
      return <ConnectPage />;
    case '/oauth-apps':
      return <OAuthAppsPage />;
    case '/webhooks':
      return <WebhooksPage />;
    case '/audit':
      return <AuditPage />;
    case '/tokens':
      return <TokensPage />;
    default:
      return (
        <div>
          <h1>Not found</h1>
          <p>
            No console page at <code>{path}</code>. <Link to="/">Go to the overview</Link>.
          </p>
        </div>
      );
  }
}

function Shell({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const { path } = useLocation();
  const active = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`));
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">credvault</span>
        <nav aria-label="Console">
          <ul>
            {NAV.filter((n) => n.show(session)).map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={active(n.to) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.accountName}
          <button type="button" class="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main">
        <Page />
      </main>
    </SessionContext.Provider>
  );
}

function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [resuming, setResuming] = useState(true);
  useEffect(() => {
    void resumeSession().then((s) => {
      setSession(s);
      setResuming(false);
    });
  }, []);
  if (resuming) return <p role="status">Loading…</p>;
  if (!session) return <SignInPage onSignedIn={setSession} />;
  return (
    <Shell
      session={session}
      onSignOut={() => {
        signOut();
        queryClient.clear();
        setSession(undefined);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) {
  render(
    <QueryClientProvider client={queryClient}>
      <RouterProvider>
        <App />
      </RouterProvider>
    </QueryClientProvider>,
    root,
  );
}
