// The dashboard: a sign-in form until a token is accepted, then the pages under one header. Everything shown
// comes from the /v1 API with the token; this bundle holds no data.
import { html } from 'htm/preact';
import { render, type ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { WhoAmI } from '../src/contract/tokens.js';
import { SIGNED_OUT_EVENT, apiGet, forgetToken, savedToken } from './api.js';
import { href, useRoute, type Route } from './router.js';
import { RunPage } from './pages/run.js';
import { RunsPage } from './pages/runs.js';
import { SignIn } from './pages/sign-in.js';
import { TaskPage, TasksPage } from './pages/tasks.js';
import { WorkersPage } from './pages/workers.js';
import { Heading, Loading, Problem } from './ui.js';

const NAV: { page: Route['page']; also?: Route['page']; label: string; to: string }[] = [
  { page: 'runs', also: 'run', label: 'Runs', to: href.runs() },
  { page: 'tasks', also: 'task', label: 'Tasks', to: href.tasks() },
  { page: 'graph', label: 'Graph', to: href.graph() },
  { page: 'workers', label: 'Workers', to: href.workers() },
];

function App() {
  const [me, setMe] = useState<WhoAmI | undefined>(undefined);
  const [checking, setChecking] = useState(savedToken() !== undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  useEffect(() => {
    const signedOut = (e: Event) => {
      forgetToken();
      setMe(undefined);
      setNotice((e as CustomEvent<string>).detail);
    };
    window.addEventListener(SIGNED_OUT_EVENT, signedOut);
    if (savedToken()) {
      apiGet('/v1/whoami', WhoAmI)
        .then(setMe, (err: Error) => setNotice(err.message))
        .finally(() => setChecking(false));
    }
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signedOut);
  }, []);

  if (checking) return html`<main id="main"><${Loading} /></main>`;
  if (!me) return html`<${SignIn} notice=${notice} onSignedIn=${(who: WhoAmI) => (setNotice(undefined), setMe(who))} />`;
  const signOut = () => {
    forgetToken();
    setMe(undefined);
  };
  return html`<${Shell} me=${me} onSignOut=${signOut} />`;
}

function Shell({ me, onSignOut }: { me: WhoAmI; onSignOut: () => void }) {
  const route = useRoute();
  return html`<a class="skip" href="#main" onClick=${(e: Event) => (e.preventDefault(), document.getElementById('main')?.focus())}>Skip to content</a>
    <header class="top">
      <a class="brand" href=${href.runs()}>Slipway</a>
      <nav aria-label="Pages"><ul>${NAV.map(
        (n) => html`<li><a href=${n.to} aria-current=${route.page === n.page || route.page === n.also ? 'page' : undefined}>${n.label}</a></li>`,
      )}</ul></nav>
      <p class="who">${me.name} <span class="muted">(${me.role})</span> <button class="link" onClick=${onSignOut}>Sign out</button></p>
    </header>
    <${Page} route=${route} me=${me} />`;
}

function Page({ route, me }: { route: Route; me: WhoAmI }) {
  switch (route.page) {
    case 'run':
      return html`<${RunPage} key=${route.id} id=${route.id} me=${me} />`;
    case 'tasks':
      return html`<${TasksPage} />`;
    case 'task':
      return html`<${TaskPage} key=${route.name} name=${route.name} me=${me} />`;
    case 'graph':
      return html`<${LazyGraph} />`;
    case 'workers':
      return html`<${WorkersPage} />`;
    default:
      return html`<${RunsPage} />`;
  }
}

/** The graph page and dagre load on first visit only: most visits never draw the graph. */
let graphPage: Promise<ComponentType> | undefined;
function LazyGraph() {
  const [page, setPage] = useState<{ Component?: ComponentType; error?: Error }>({});
  useEffect(() => {
    (graphPage ??= import('./pages/graph.js').then((m) => m.GraphPage)).then(
      (Component) => setPage({ Component }),
      (error: Error) => setPage({ error }),
    );
  }, []);
  if (page.Component) return html`<${page.Component} />`;
  return html`<main id="main"><${Heading}>Base-image graph</${Heading}>${page.error ? html`<${Problem} error=${page.error} />` : html`<${Loading} />`}</main>`;
}

render(html`<${App} />`, document.getElementById('app')!);
