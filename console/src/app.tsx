/** The console's frame: sign-in, navigation, and the page for the current route. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Me, MeContext } from './access.tsx';
import { api, SIGNED_OUT } from './api.ts';
import {
  type ConsoleConfig,
  clearToken,
  cognitoSignOut,
  completeCognitoSignIn,
  saveToken,
  startCognitoSignIn,
  storedToken,
} from './auth.ts';
import { messageOf, Status, TextField } from './components.tsx';
import { ApiReference } from './pages/api-reference.tsx';
import { AuditLog } from './pages/audit.tsx';
import { BroadcastCompose, BroadcastPage, Broadcasts } from './pages/broadcasts.tsx';
import { CustomerPage, CustomerSearch } from './pages/customers.tsx';
import { Dashboard } from './pages/dashboard.tsx';
import { DeadLetters } from './pages/dead-letters.tsx';
import { JourneyEditor, Journeys } from './pages/journeys.tsx';
import { Lifecycle } from './pages/lifecycle.tsx';
import { SegmentEditor, Segments } from './pages/segments.tsx';
import { SourceCreate, SourcePage, Sources } from './pages/sources.tsx';
import { TemplateEditor, Templates } from './pages/templates.tsx';
import { WebhookCreate, WebhookPage, Webhooks } from './pages/webhooks.tsx';
import { href, useRoute } from './router.ts';

/** The pages, each shown to whoever may call the route it reads. */
const PAGES = [
  { path: '', title: 'Dashboard', reads: 'GET /admin/metrics' },
  { path: 'journeys', title: 'Journeys', reads: 'GET /admin/journeys' },
  { path: 'broadcasts', title: 'Broadcasts', reads: 'GET /admin/broadcasts' },
  { path: 'templates', title: 'Templates', reads: 'GET /admin/templates' },
  { path: 'segments', title: 'Segments', reads: 'GET /admin/segments' },
  { path: 'customers', title: 'Customers', reads: 'GET /admin/customers' },
  { path: 'lifecycle', title: 'Lifecycle rules', reads: 'GET /admin/lifecycle' },
  { path: 'sources', title: 'Sources', reads: 'GET /admin/sources' },
  { path: 'webhooks', title: 'Webhooks', reads: 'GET /admin/webhooks' },
  { path: 'audit', title: 'Audit log', reads: 'GET /admin/audit' },
  { path: 'dead-letters', title: 'Dead letters', reads: 'GET /admin/dead-letters' },
  { path: 'api', title: 'API', reads: 'GET /admin/me' },
] as const;

export function App({ config }: { config: ConsoleConfig }) {
  const [token, setToken] = useState(storedToken);
  const [error, setError] = useState<string>();
  useEffect(() => {
    const signedOut = () => {
      setToken(undefined);
      setError('Your session has ended. Sign in again.');
    };
    addEventListener(SIGNED_OUT, signedOut);
    if (config.auth.kind === 'cognito') {
      completeCognitoSignIn(config.auth).then(
        (done) => done && setToken(storedToken()),
        (failure: unknown) => setError(messageOf(failure)),
      );
    }
    return () => removeEventListener(SIGNED_OUT, signedOut);
  }, [config]);

  if (!token) return <SignIn config={config} error={error} onSignedIn={(value) => setToken(value)} />;
  const signOut = () => {
    clearToken();
    setToken(undefined);
    setError(undefined);
    if (config.auth.kind === 'cognito') cognitoSignOut(config.auth);
  };
  return <Shell onSignOut={signOut} />;
}

function SignIn({
  config,
  error,
  onSignedIn,
}: {
  config: ConsoleConfig;
  error: string | undefined;
  onSignedIn: (token: string) => void;
}) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    document.title = 'Sign in · Lifecycle console';
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await api('/admin/me', { token: value.trim() });
      saveToken(value.trim());
      onSignedIn(value.trim());
    } catch (failure) {
      setProblem(
        messageOf(failure).startsWith('Not signed in') ? 'That token was not accepted.' : messageOf(failure),
      );
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Lifecycle console</h1>
      <Status message={error} tone="error" />
      {config.auth.kind === 'token' ? (
        <form class="card" onSubmit={submit}>
          <TextField
            id="admin-token"
            label="Admin token"
            type="password"
            value={value}
            onInput={setValue}
            error={problem}
            help="The ADMIN_TOKEN of this installation (dev-admin-token on a fresh local stack)."
            required
          />
          <button type="submit">Sign in</button>
        </form>
      ) : (
        <div class="card">
          <p>Sign in with your account of this installation’s user pool.</p>
          <button
            type="button"
            onClick={() => config.auth.kind === 'cognito' && startCognitoSignIn(config.auth)}
          >
            Sign in
          </button>
        </div>
      )}
    </main>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
  const [me, setMe] = useState<Me>();
  useEffect(() => {
    api<Me>('/admin/me').then(setMe, () => {});
  }, []);
  const can = (routeKey: string) => !me || me.routes.includes(routeKey);
  const route = useRoute();
  const [section = '', item] = route;
  const main = useRef<HTMLElement>(null);
  const navigated = useRef(false);
  const title = PAGES.find((page) => page.path === section)?.title ?? 'Not found';
  useEffect(() => {
    document.title = `${item ? `${item} · ` : ''}${title} · Lifecycle console`;
    // After moving to another page, focus goes to its content, as a page load would put a reader
    // at the top; on the first load it stays put, so Tab reaches "Skip to content" first.
    if (navigated.current) main.current?.focus();
    navigated.current = true;
  }, [section, item, title]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Lifecycle console</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.filter((page) => can(page.reads)).map((page) => (
              <li key={page.path}>
                <a
                  href={href(...(page.path ? [page.path] : []))}
                  aria-current={page.path === section ? 'page' : undefined}
                >
                  {page.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {me?.role ? <span class="who">{`${me.name} · ${me.role}`}</span> : null}
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <MeContext.Provider value={me}>
          <Page section={section} item={item} />
        </MeContext.Provider>
      </main>
    </>
  );
}

function Page({ section, item }: { section: string; item: string | undefined }) {
  switch (section) {
    case '':
      return <Dashboard />;
    case 'journeys':
      return item ? <JourneyEditor key={item} id={item} /> : <Journeys />;
    case 'broadcasts':
      if (item === 'new') return <BroadcastCompose />;
      return item ? <BroadcastPage key={item} id={item} /> : <Broadcasts />;
    case 'lifecycle':
      return <Lifecycle />;
    case 'templates':
      return item ? <TemplateEditor key={item} name={item} /> : <Templates />;
    case 'segments':
      return item ? <SegmentEditor key={item} id={item} /> : <Segments />;
    case 'customers':
      return item ? <CustomerPage key={item} id={item} /> : <CustomerSearch />;
    case 'sources':
      if (item === 'new') return <SourceCreate />;
      return item ? <SourcePage key={item} id={item} /> : <Sources />;
    case 'audit':
      return <AuditLog />;
    case 'api':
      return <ApiReference />;
    case 'dead-letters':
      return <DeadLetters />;
    case 'webhooks':
      if (item === 'new') return <WebhookCreate />;
      return item ? <WebhookPage key={item} id={item} /> : <Webhooks />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            <a href={href()}>Back to the dashboard</a>
          </p>
        </>
      );
  }
}
