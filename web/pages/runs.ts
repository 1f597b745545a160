// The runs, newest first, kept current: status, task, trigger, platforms, images, duration and who asked, with
// filters. Status filters on the server (GET /v1/runs?status=); task and trigger on the page, as the CLI does.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { RUN_STATUSES, RunList, TRIGGER_TYPES, type Run } from '../../src/contract/runs.js';
import { apiGet, enc } from '../api.js';
import { ago, runDuration, triggerText } from '../format.js';
import { href } from '../router.js';
import { usePoll } from '../use-poll.js';
import { Empty, Heading, Loading, Problem, Status } from '../ui.js';

const TOP = 100;

export function RunsPage() {
  const [status, setStatus] = useState('');
  const [task, setTask] = useState('');
  const [trigger, setTrigger] = useState('');
  const runs = usePoll((signal) => apiGet(`/v1/runs?top=${TOP}${status ? `&status=${enc(status)}` : ''}`, RunList, { signal }), 2000, status);
  const shown = (runs.data?.runs ?? []).filter((r) => (!task || (r.task ?? '').includes(task)) && (!trigger || r.trigger.type === trigger));

  return html`<main id="main">
    <${Heading}>Runs</${Heading}>
    <form class="filters" aria-label="Filter runs" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Status <select value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${RUN_STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
      <label>Task <input type="search" value=${task} placeholder="name" onInput=${(e: Event) => setTask((e.target as HTMLInputElement).value)} /></label>
      <label>Trigger <select value=${trigger} onChange=${(e: Event) => setTrigger((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${TRIGGER_TYPES.map((t) => html`<option value=${t}>${t}</option>`)}
      </select></label>
    </form>
    <${Problem} error=${runs.error} />
    ${runs.data === undefined && !runs.error ? html`<${Loading} />` : shown.length === 0 ? html`<${Empty}>No runs${status || task || trigger ? ' match these filters' : ' yet: slipway build starts one'}.</${Empty}>` : html`<${RunTable} runs=${shown} />`}
  </main>`;
}

export function RunTable({ runs, caption = 'Runs, newest first' }: { runs: Run[]; caption?: string }) {
  return html`<div class="table-wrap"><table class="cards">
    <caption class="visually-hidden">${caption}</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Task</th><th scope="col">Trigger</th><th scope="col">Platforms</th><th scope="col">Images</th><th scope="col">Duration</th><th scope="col">Asked by</th><th scope="col">Created</th></tr></thead>
    <tbody>
      ${runs.map(
        (r) => html`<tr key=${r.id} data-run=${r.id}>
          <th scope="row" data-label="Run"><a href=${href.run(r.id)}>${r.id}</a></th>
          <td data-label="Status"><${Status} value=${r.status} /></td>
          <td data-label="Task">${r.task ? html`<a href=${href.task(r.task)}>${r.task}</a>` : html`<span class="muted">—</span>`}</td>
          <td data-label="Trigger">${triggerText(r.trigger)}</td>
          <td data-label="Platforms">${r.platforms.join(', ')}</td>
          <td data-label="Images" class="wrap">${r.request.images.join(', ') || html`<span class="muted">none</span>`}</td>
          <td data-label="Duration">${runDuration(r)}</td>
          <td data-label="Asked by">${r.requestedBy ?? ''}</td>
          <td data-label="Created"><time datetime=${r.createdAt} title=${r.createdAt}>${ago(r.createdAt)}</time></td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}
