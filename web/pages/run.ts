// One run: its status kept current, the live log (resumed after a dropped connection), per-platform and
// per-step status, pushed digests, base images used, the chain of causes of a rebuild, and Cancel for a token
// that may cancel it.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Run, isTerminal } from '../../src/contract/runs.js';
import type { WhoAmI } from '../../src/contract/tokens.js';
import { mayCancel } from '../../src/auth/ownership.js';
import { roleAllows } from '../../src/auth/roles.js';
import { apiAction, apiGet, enc } from '../api.js';
import { localTime, runDuration, shortDigest, triggerText } from '../format.js';
import { followLog, type StreamState } from '../log-stream.js';
import { href } from '../router.js';
import { usePoll } from '../use-poll.js';
import { Heading, Loading, Problem, Status } from '../ui.js';

export function RunPage({ id, me }: { id: string; me: WhoAmI }) {
  const polled = usePoll((signal) => apiGet(`/v1/runs/${enc(id)}`, Run, { signal }), 2000, id);
  const [ended, setEnded] = useState<Run | undefined>(undefined);
  const [cancel, setCancel] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const run = ended ?? polled.data;

  const askCancel = async () => {
    setCancel({ busy: true });
    try {
      await apiAction(`/v1/runs/${enc(id)}/cancel`, Run);
      setCancel({ busy: false });
      polled.refresh();
    } catch (err) {
      setCancel({ busy: false, error: (err as Error).message });
    }
  };

  if (!run) return html`<main id="main"><${Heading}>Run ${id}</${Heading}><${Problem} error=${polled.error} />${!polled.error && html`<${Loading} />`}</main>`;
  const cancellable = !isTerminal(run.status) && roleAllows(me.role, 'builder') && mayCancel(run, me);
  return html`<main id="main">
    <${Heading}>Run ${run.id} <${Status} value=${run.status} /></${Heading}>
    <${Problem} error=${polled.error} />
    ${cancellable && html`<p><button class="danger" onClick=${askCancel} disabled=${cancel.busy || run.cancelRequested}>${run.cancelRequested ? 'Cancel requested…' : 'Cancel run'}</button></p>`}
    <${Problem} error=${cancel.error} />
    ${run.error && html`<p class="problem"><strong>Error:</strong> ${run.error}</p>`}
    ${run.waiting && html`<p class="muted">Waiting: ${run.waiting}</p>`}
    <${Summary} run=${run} />
    <${Steps} run=${run} />
    <${Platforms} run=${run} />
    <${Images} run=${run} />
    <${BaseImages} run=${run} />
    <${Log} id=${run.id} onEnd=${setEnded} />
  </main>`;
}

function Summary({ run }: { run: Run }) {
  const causes = run.trigger.causes ?? [];
  return html`<dl class="facts">
    <dt>Task</dt><dd>${run.task ? html`<a href=${href.task(run.task)}>${run.task}</a>` : '—'}</dd>
    <dt>Trigger</dt><dd>${triggerText(run.trigger)}${run.trigger.rebuild ? ` (wave ${run.trigger.rebuild})` : ''}</dd>
    ${causes.length > 0 &&
    html`<dt>Cause chain</dt><dd><ol class="causes">${causes.map(
      (c) => html`<li>${c.image} ${shortDigest(c.oldDigest) || '∅'} → ${shortDigest(c.newDigest)}${c.runId ? html` pushed by <a href=${href.run(c.runId)}>${c.task ?? c.runId}</a>` : ''}</li>`,
    )}</ol></dd>`}
    <dt>Asked by</dt><dd>${run.requestedBy ?? '—'}</dd>
    <dt>Platforms</dt><dd>${run.platforms.join(', ')}</dd>
    <dt>Images</dt><dd class="wrap">${run.request.images.join(', ') || '—'}${run.request.noPush ? ' (not pushed)' : ''}</dd>
    <dt>Source</dt><dd class="wrap">${run.request.git ? `${run.request.git.url} @ ${run.request.git.commit.slice(0, 12)}` : `uploaded context ${shortDigest(run.request.context)}`}, ${run.request.taskFile ?? run.request.dockerfile}</dd>
    <dt>Worker</dt><dd>${run.worker ? html`<a href=${href.workers()}>${run.worker}</a>` : '—'}</dd>
    <dt>Created</dt><dd>${localTime(run.createdAt)}</dd>
    <dt>Duration</dt><dd>${runDuration(run) || '—'}</dd>
  </dl>`;
}

function Steps({ run }: { run: Run }) {
  if (!run.steps?.length) return null;
  return html`<section aria-labelledby="steps-h"><h2 id="steps-h">Steps</h2><div class="table-wrap"><table class="cards">
    <thead><tr><th scope="col">Step</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Exit code</th><th scope="col">Detail</th></tr></thead>
    <tbody>${run.steps.map(
      (s) => html`<tr key=${s.id} class=${s.status === 'failed' && !s.ignored ? 'failing' : ''} data-step=${s.id}>
        <th scope="row" data-label="Step">${s.id}</th><td data-label="Kind">${s.kind}</td>
        <td data-label="Status"><${Status} value=${s.status} />${s.ignored ? ' (ignored)' : ''}</td>
        <td data-label="Exit code">${s.exitCode ?? ''}</td>
        <td data-label="Detail" class="wrap">${s.error ?? (s.pushed ?? []).map((p) => `${p.reference}@${shortDigest(p.digest)}`).join(', ')}</td>
      </tr>`,
    )}</tbody></table></div></section>`;
}

function Platforms({ run }: { run: Run }) {
  const rows = run.platformResults ?? [];
  if (!rows.length) return null;
  return html`<section aria-labelledby="platforms-h"><h2 id="platforms-h">Platforms</h2><div class="table-wrap"><table class="cards">
    <thead><tr><th scope="col">Platform</th><th scope="col">Status</th><th scope="col">Digest</th><th scope="col">Detail</th></tr></thead>
    <tbody>${rows.map(
      (p) => html`<tr key=${p.platform}><th scope="row" data-label="Platform">${p.platform}</th><td data-label="Status"><${Status} value=${p.status} /></td>
        <td data-label="Digest"><code title=${p.digest}>${shortDigest(p.digest)}</code></td><td data-label="Detail" class="wrap">${p.error ?? ''}</td></tr>`,
    )}</tbody></table></div></section>`;
}

function Images({ run }: { run: Run }) {
  if (!run.outputImages.length && !run.indexDigest) return null;
  return html`<section aria-labelledby="images-h"><h2 id="images-h">Pushed</h2><ul class="plain">
    ${run.outputImages.map((i) => html`<li class="wrap"><code>${i.registry}/${i.repository}:${i.tag}@${i.digest}</code></li>`)}
    ${run.indexDigest && html`<li class="wrap">image index <code>${run.indexDigest}</code></li>`}
  </ul></section>`;
}

function BaseImages({ run }: { run: Run }) {
  if (!run.baseImages?.length) return null;
  return html`<section aria-labelledby="bases-h"><h2 id="bases-h">Base images</h2><div class="table-wrap"><table class="cards">
    <thead><tr><th scope="col">Image</th><th scope="col">Kind</th><th scope="col">Platform</th><th scope="col">Digest</th></tr></thead>
    <tbody>${run.baseImages.map(
      (b) => html`<tr><th scope="row" data-label="Image" class="wrap">${b.image}</th><td data-label="Kind">${b.kind}</td><td data-label="Platform">${b.platform}${b.basePlatform !== b.platform ? ` (base ${b.basePlatform})` : ''}</td>
        <td data-label="Digest"><code title=${b.digest}>${shortDigest(b.digest) || b.error || ''}</code></td></tr>`,
    )}</tbody></table></div></section>`;
}

const STREAM_TEXT: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  ended: 'complete',
  failed: 'unavailable',
};

function Log({ id, onEnd }: { id: string; onEnd: (run: Run) => void }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState<{ state: StreamState; detail?: string }>({ state: 'connecting' });
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    setLines([]);
    return followLog(id, {
      lines: (more) => setLines((prev) => prev.concat(more)),
      state: (s, detail) => setState({ state: s, detail }),
      ended: onEnd,
    });
  }, [id]);
  useEffect(() => {
    // Keeps the newest line in view unless the reader scrolled up to read.
    if (follow.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  const onScroll = () => {
    const el = box.current;
    if (el) follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
  };

  return html`<section aria-labelledby="log-h">
    <h2 id="log-h">Log <span class="muted log-state" data-state=${state.state}>(${STREAM_TEXT[state.state]}${state.detail ? `: ${state.detail}` : ''})</span></h2>
    <pre class="log" ref=${box} onScroll=${onScroll} tabindex="0" aria-label="Run log">${lines.length ? lines.join('\n') : state.state === 'ended' ? '(no output)' : ''}</pre>
  </section>`;
}
