// The worker pool: each worker's host, the platforms it serves, its last heartbeat and the runs it is building.
import { html } from 'htm/preact';
import { formatDisk } from '../../src/cli/format.js';
import { WorkerList } from '../../src/contract/workers.js';
import { apiGet } from '../api.js';
import { ago } from '../format.js';
import { href } from '../router.js';
import { usePoll } from '../use-poll.js';
import { Empty, Heading, Loading, Problem } from '../ui.js';

export function WorkersPage() {
  const pool = usePoll((signal) => apiGet('/v1/workers', WorkerList, { signal }), 3000, 'workers');
  const workers = pool.data?.workers ?? [];
  return html`<main id="main">
    <${Heading}>Workers</${Heading}>
    <${Problem} error=${pool.error} />
    ${pool.data === undefined && !pool.error ? html`<${Loading} />` : workers.length === 0 ? html`<${Empty}>No worker has reported lately: start one with <code>node dist/server/worker.js</code>.</${Empty}>` : html`<div class="table-wrap"><table class="cards">
      <caption class="visually-hidden">Workers</caption>
      <thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">State</th><th scope="col">Platforms</th><th scope="col">Last heartbeat</th><th scope="col">Disk</th><th scope="col">Building</th></tr></thead>
      <tbody>${workers.map(
        (w) => html`<tr key=${w.name}><th scope="row" data-label="Worker">${w.name}</th><td data-label="Host">${w.host}</td>
          <td data-label="State"><span class=${w.live ? 'status status-succeeded' : 'status status-error'}>${w.live ? '● live' : '! silent'}</span></td>
          <td data-label="Platforms">${w.platforms.join(', ')}</td>
          <td data-label="Last heartbeat"><time datetime=${w.lastHeartbeat}>${ago(w.lastHeartbeat)}</time></td>
          <td data-label="Disk">${w.disk ? formatDisk(w.disk) : html`<span class="muted">not measured yet</span>`}</td>
          <td data-label="Building">${w.runs.length ? w.runs.map((r) => html`<a href=${href.run(r.id)}>${r.id}</a>${r.task ? ` (${r.task})` : ''} `) : html`<span class="muted">idle</span>`}</td></tr>`,
      )}</tbody></table></div>`}
  </main>`;
}
