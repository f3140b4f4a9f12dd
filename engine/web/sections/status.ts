/**
 * The engine at a glance: ready or why not, the active policy revision and where it came
 * from, paused by homeostat.yaml, dry run, the action queue and the audit repository.
 * (The kill switch thrown through the API and the storm breaker get sections of their own.)
 */
import { html } from '../html.js';
import type { Html } from '../html.js';
import { outcomeBadge, time } from '../format.js';
import { displayUrl } from '../../runtime/git-source.js';
import type { Section, View } from '../view.js';

type Status = ReturnType<View['engine']['status']>;

function source(s: Status['policies']['source']): Html {
  if (s.kind === 'directory') return html`directory <code>${s.dir}</code>`;
  const cached = s.servingCached ? html` <span class="badge warn">serving the cached revision: the remote has not answered</span>` : '';
  return html`git <code>${s.remote}</code>, branch <code>${s.branch ?? '(remote default)'}</code>${s.path && s.path !== '.' ? html`, folder <code>${s.path}</code>` : ''}${s.verifySignatures ? ', signed commits only' : ''}${cached}`;
}

function lastLoad(load: Status['policies']['lastLoad']): Html {
  if (!load) return html`<span class="note">none yet</span>`;
  const problems = load.ok ? '' : html`: ${load.error ?? `${load.problems} problem(s)`}${load.diagnostics.length ? html` (${load.diagnostics[0]!.file}:${load.diagnostics[0]!.line} ${load.diagnostics[0]!.message})` : ''}`;
  return html`${outcomeBadge(load.ok ? 'succeeded' : 'failed')} ${time(load.at)}${problems}`;
}

export const statusSection: Section = {
  id: 'status',
  title: 'Engine',
  render(view) {
    const s = view.engine.status();
    const p = s.policies;
    return html`<dl class="facts">
<dt>State</dt><dd>${s.ready ? html`<span class="badge ok">ready</span>` : html`<span class="badge bad">not ready</span> ${s.notReady.join('; ')}`}${p.paused ? html` <span class="badge warn">paused</span> by <code>spec.paused</code> in homeostat.yaml: no new action runs` : ''}${s.dryRun ? html` <span class="badge info">dry run</span>` : ''}</dd>
<dt>Policy revision</dt><dd><code>${p.revision ?? 'none active'}</code>, ${p.count} ${p.count === 1 ? 'policy' : 'policies'}${p.activatedAt ? html`, active since ${time(p.activatedAt)}` : ''}</dd>
<dt>Source</dt><dd>${source(p.source)}</dd>
<dt>Last load</dt><dd>${lastLoad(p.lastLoad)}</dd>
<dt>Queue</dt><dd>${s.queue.running} running, ${s.queue.waiting} waiting</dd>
<dt>Audit</dt><dd>${s.audit.backlog} entries waiting for git${s.audit.error ? html` <span class="badge bad">error</span> ${s.audit.error}` : ''}${s.audit.remote ? html`; pushed to <code>${displayUrl(s.audit.remote)}</code>${s.audit.lastPush ? html`, last push ${outcomeBadge(s.audit.lastPush.ok ? 'succeeded' : 'failed')} ${time(s.audit.lastPush.at)}` : ''}` : ''}</dd>
<dt>Started</dt><dd>${time(s.startedAt)}</dd>
</dl>`;
  },
};
