// Tasks: the list, and one task with its source, triggers, schedules, last runs and a Run button. Creating
// and changing tasks stay in the CLI (`slipway task create|update`).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { Run, RunList } from '../../src/contract/runs.js';
import { Task, TaskList } from '../../src/contract/tasks.js';
import type { WhoAmI } from '../../src/contract/tokens.js';
import { roleAllows } from '../../src/auth/roles.js';
import { apiAction, apiGet, enc } from '../api.js';
import { href } from '../router.js';
import { usePoll } from '../use-poll.js';
import { Empty, Heading, Loading, Problem } from '../ui.js';
import { RunTable } from './runs.js';

function triggers(t: Task): string {
  const on = [t.commitTrigger && 'commit', t.prTrigger && 'pull request', t.baseImageTrigger !== 'off' && `base image (${t.baseImageTrigger})`, t.schedules.length > 0 && 'schedule'];
  return on.filter(Boolean).join(', ') || 'by hand only';
}

export function TasksPage() {
  const tasks = usePoll((signal) => apiGet('/v1/tasks', TaskList, { signal }), 5000, 'tasks');
  const list = tasks.data?.tasks ?? [];
  return html`<main id="main">
    <${Heading}>Tasks</${Heading}>
    <${Problem} error=${tasks.error} />
    ${tasks.data === undefined && !tasks.error ? html`<${Loading} />` : list.length === 0 ? html`<${Empty}>No tasks yet: <code>slipway task create</code> defines one.</${Empty}>` : html`<div class="table-wrap"><table class="cards">
      <caption class="visually-hidden">Tasks</caption>
      <thead><tr><th scope="col">Task</th><th scope="col">Source</th><th scope="col">Images</th><th scope="col">Platforms</th><th scope="col">Triggers</th></tr></thead>
      <tbody>${list.map(
        (t) => html`<tr key=${t.name}><th scope="row" data-label="Task"><a href=${href.task(t.name)}>${t.name}</a></th>
          <td data-label="Source" class="wrap">${t.context}</td><td data-label="Images" class="wrap">${t.images.join(', ')}</td>
          <td data-label="Platforms">${t.platforms.join(', ')}</td><td data-label="Triggers">${triggers(t)}</td></tr>`,
      )}</tbody></table></div>`}
  </main>`;
}

export function TaskPage({ name, me }: { name: string; me: WhoAmI }) {
  const task = usePoll((signal) => apiGet(`/v1/tasks/${enc(name)}`, Task, { signal }), 10_000, name);
  const runs = usePoll((signal) => apiGet(`/v1/tasks/${enc(name)}/runs?top=10`, RunList, { signal }), 3000, name);
  const [starting, setStarting] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const t = task.data;
  // A token limited to other tasks is told so by the API's 403 (scopes.ts reads image names with node:net).
  const mayRun = roleAllows(me.role, 'builder');

  const start = async () => {
    setStarting({ busy: true });
    try {
      const run = await apiAction(`/v1/tasks/${enc(name)}/runs`, Run);
      location.hash = href.run(run.id);
    } catch (err) {
      setStarting({ busy: false, error: (err as Error).message });
    }
  };

  return html`<main id="main">
    <${Heading}>Task ${name}</${Heading}>
    <${Problem} error=${task.error} />
    ${mayRun && html`<p><button onClick=${start} disabled=${starting.busy}>${starting.busy ? 'Starting…' : 'Run now'}</button></p>`}
    <${Problem} error=${starting.error} />
    ${!t ? !task.error && html`<${Loading} />` : html`<dl class="facts">
      <dt>Source</dt><dd class="wrap">${t.context}</dd>
      <dt>Dockerfile</dt><dd>${t.dockerfile}</dd>
      <dt>Images</dt><dd class="wrap">${t.images.join(', ') || '—'}${t.noPush ? ' (not pushed)' : ''}</dd>
      <dt>Platforms</dt><dd>${t.platforms.join(', ')}</dd>
      <dt>Triggers</dt><dd>${triggers(t)}</dd>
      <dt>Schedules</dt><dd>${t.schedules.length ? t.schedules.map((s) => html`<code>${s}</code> `) : '—'} ${t.schedules.length ? '(UTC)' : ''}</dd>
      <dt>Build args</dt><dd class="wrap">${Object.entries(t.buildArgs).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</dd>
      <dt>Git token</dt><dd>${t.hasGitToken ? 'set (never shown)' : 'none'}</dd>
      <dt>Time limit</dt><dd>${t.timeoutSeconds} s</dd>
    </dl>`}
    <section aria-labelledby="task-runs-h"><h2 id="task-runs-h">Last runs</h2>
      <${Problem} error=${runs.error} />
      ${runs.data && (runs.data.runs.length ? html`<${RunTable} runs=${runs.data.runs} caption=${`Last runs of ${name}`} />` : html`<${Empty}>No runs yet.</${Empty}>`)}
    </section>
  </main>`;
}
