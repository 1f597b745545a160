// Which page the address names: hash routes (#/runs/ID), so the API serves one page at / and a reload or a
// shared link opens the same view. The hash never carries the token.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'tasks' }
  | { page: 'task'; name: string }
  | { page: 'graph' }
  | { page: 'workers' };

export function parseRoute(hash: string): Route {
  const [first, second] = hash.replace(/^#\/?/, '').split('/').map((s) => decodeURIComponent(s));
  if (first === 'runs' && second) return { page: 'run', id: second };
  if (first === 'tasks') return second ? { page: 'task', name: second } : { page: 'tasks' };
  if (first === 'graph') return { page: 'graph' };
  if (first === 'workers') return { page: 'workers' };
  return { page: 'runs' };
}

export const href = {
  runs: () => '#/runs',
  run: (id: string) => `#/runs/${encodeURIComponent(id)}`,
  tasks: () => '#/tasks',
  task: (name: string) => `#/tasks/${encodeURIComponent(name)}`,
  graph: () => '#/graph',
  workers: () => '#/workers',
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
