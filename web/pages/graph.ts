// The base-image graph: drawn with dagre's layout, each image selectable (click, Enter or Space) for the impact
// preview of a change (`slipway graph dependents --transitive`), and the latest rebuild waves' progress live,
// on the tasks in the drawing and as lists. Loaded only when the page is opened: dagre is most of its weight.
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import { Graph, Plan, WaveDetail, WaveList, type WaveEntry } from '../../src/contract/graph.js';
import { apiGet, enc } from '../api.js';
import { ago } from '../format.js';
import { imageNode, layoutGraph, taskNode, type GraphLayout, type LaidNode } from '../graph-layout.js';
import { href } from '../router.js';
import { usePoll } from '../use-poll.js';
import { Empty, Heading, Loading, Problem, Status } from '../ui.js';

/** The newest waves shown with their entries. */
const WAVES_SHOWN = 3;
const SETTLED = new Set(['succeeded', 'failed', 'skipped']);

async function latestWaves(signal: AbortSignal): Promise<WaveDetail[]> {
  const { rebuilds } = await apiGet(`/v1/rebuilds?top=${WAVES_SHOWN}`, WaveList, { signal });
  return Promise.all(rebuilds.map((w) => apiGet(`/v1/rebuilds/${enc(w.id)}`, WaveDetail, { signal })));
}

export function GraphPage() {
  const graph = usePoll((signal) => apiGet('/v1/graph', Graph, { signal }), 5000, 'graph');
  const waves = usePoll(latestWaves, 2000, 'waves');
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const layout = useMemo(() => (graph.data ? layoutGraph(graph.data) : undefined), [JSON.stringify(graph.data)]);
  // Each task's entry in the newest wave it is part of.
  const states = new Map<string, WaveEntry>();
  for (const w of waves.data ?? []) for (const e of w.entries) if (!states.has(e.task)) states.set(e.task, e);
  const images = layout?.nodes.filter((n) => n.kind === 'image') ?? [];

  return html`<main id="main">
    <${Heading}>Base-image graph</${Heading}>
    <${Problem} error=${graph.error} />
    ${!layout ? !graph.error && html`<${Loading} />` : layout.nodes.length === 0 ? html`<${Empty}>The graph is empty: a task joins it when a build of it succeeds.</${Empty}>` : html`
      <p class="muted">Base images → the tasks built on them → the images they push. Select an image to see what a change of it would rebuild.</p>
      <${Drawing} layout=${layout} selected=${selected} onSelect=${setSelected} states=${states} />
      <section aria-labelledby="images-h"><h2 id="images-h">Images</h2>
        <ul class="plain image-list">${images.map(
          (n) => html`<li><button class="link" aria-pressed=${selected === n.name} onClick=${() => setSelected(n.name)}>${n.name}</button></li>`,
        )}</ul>
      </section>`}
    ${selected && html`<${Impact} image=${selected} />`}
    <${Waves} waves=${waves.data} error=${waves.error} />
  </main>`;
}

function Drawing({ layout, selected, onSelect, states }: { layout: GraphLayout; selected?: string; onSelect: (image: string) => void; states: Map<string, WaveEntry> }) {
  const path = (points: { x: number; y: number }[]) => points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  return html`<div class="graph-wrap" tabindex="-1">
    <svg class="graph" viewBox=${`0 0 ${layout.width} ${layout.height}`} width=${layout.width} height=${layout.height} role="group" aria-label="Base-image graph">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow" /></marker></defs>
      ${layout.edges.map((e) => html`<path class=${`edge${e.buildtime ? ' buildtime' : ''}`} d=${path(e.points)} marker-end="url(#arrow)" />`)}
      ${layout.nodes.map((n) => (n.kind === 'image' ? html`<${ImageNode} node=${n} selected=${selected === n.name} onSelect=${onSelect} />` : html`<${TaskNode} node=${n} entry=${states.get(n.name)} />`))}
    </svg>
  </div>`;
}

function ImageNode({ node, selected, onSelect }: { node: LaidNode; selected: boolean; onSelect: (image: string) => void }) {
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(node.name);
    }
  };
  return html`<g class=${`node image${selected ? ' selected' : ''}`} id=${imageNode(node.name)} transform=${`translate(${node.x - node.width / 2},${node.y - node.height / 2})`}
      role="button" tabindex="0" aria-pressed=${selected} onClick=${() => onSelect(node.name)} onKeyDown=${onKey}>
    <title>image ${node.name}</title>
    <rect width=${node.width} height=${node.height} rx="6" />
    <text x="10" y="18" class="kind">image${selected ? ' (selected)' : ''}</text>
    <text x="10" y="35">${node.label}</text>
  </g>`;
}

function TaskNode({ node, entry }: { node: LaidNode; entry?: WaveEntry }) {
  const state = entry ? `rebuild ${entry.state}` : '';
  // Named by the <title> (the whole name; the drawn label may be shortened), not aria-label, which must hold the visible text.
  return html`<a href=${href.task(node.name)} class=${`node task${entry ? ` wave-${entry.state}` : ''}`} id=${taskNode(node.name)} data-wave-state=${entry?.state ?? ''}>
    <title>task ${node.name}${state ? `, ${state}` : ''}</title>
    <g transform=${`translate(${node.x - node.width / 2},${node.y - node.height / 2})`}>
      <rect width=${node.width} height=${node.height} rx="2" />
      <text x="10" y="18" class="kind">task${state ? ` · ${state}` : ''}</text>
      <text x="10" y="35">${node.label}</text>
    </g>
  </a>`;
}

function Impact({ image }: { image: string }) {
  const plan = usePoll((signal) => apiGet(`/v1/graph/dependents?image=${enc(image)}&transitive=1`, Plan, { signal }), 10_000, image);
  const p = plan.data;
  return html`<section aria-labelledby="impact-h" aria-live="polite"><h2 id="impact-h">If ${image} changed</h2>
    <${Problem} error=${plan.error} />
    ${!p ? !plan.error && html`<${Loading} />` : html`
      ${p.entries.length === 0 ? html`<${Empty}>No task would rebuild.</${Empty}>` : html`<ol class="plan">${p.entries.map(
        (e) => html`<li data-task=${e.task}>level ${e.level}: <a href=${href.task(e.task)}>${e.task}</a>${e.direct ? ' (built on it directly)' : ` after ${e.parents.join(', ')}`}</li>`,
      )}</ol>`}
      ${p.skipped.length > 0 && html`<h3>Not rebuilt</h3><ul>${p.skipped.map((s) => html`<li>${s.task}: ${s.reason}</li>`)}</ul>`}
      ${p.cycles.length > 0 && html`<h3>Cycles (never rebuilt)</h3><ul>${p.cycles.map((c) => html`<li>${c.join(' → ')}</li>`)}</ul>`}`}
  </section>`;
}

function Waves({ waves, error }: { waves?: WaveDetail[]; error?: Error }) {
  return html`<section aria-labelledby="waves-h"><h2 id="waves-h">Rebuild waves</h2>
    <${Problem} error=${error} />
    ${waves === undefined ? !error && html`<${Loading} />` : waves.length === 0 ? html`<${Empty}>No base-image change has rebuilt anything yet.</${Empty}>` : waves.map((w) => {
      const settled = w.entries.filter((e) => SETTLED.has(e.state)).length;
      return html`<article class="wave" key=${w.id} data-wave=${w.id} aria-labelledby=${`wave-${w.id}`}>
        <h3 id=${`wave-${w.id}`}>${w.image} <span class="muted">(${w.source}, ${ago(w.createdAt)}, ${w.id})</span></h3>
        <p><label>${settled} of ${w.entries.length} rebuilt or settled <progress max=${Math.max(1, w.entries.length)} value=${settled}>${settled}/${w.entries.length}</progress></label></p>
        <div class="table-wrap"><table class="cards"><thead><tr><th scope="col">Task</th><th scope="col">Level</th><th scope="col">State</th><th scope="col">Run</th></tr></thead>
        <tbody>${w.entries.map(
          (e) => html`<tr key=${e.task} data-task=${e.task}><th scope="row" data-label="Task"><a href=${href.task(e.task)}>${e.task}</a></th><td data-label="Level">${e.level}</td>
            <td data-label="State"><${Status} value=${e.state} />${e.reason ? ` ${e.reason}` : ''}</td>
            <td data-label="Run">${e.runId ? html`<a href=${href.run(e.runId)}>${e.runId}</a>` : ''}</td></tr>`,
        )}</tbody></table></div>
      </article>`;
    })}
  </section>`;
}
