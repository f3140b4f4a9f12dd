/**
 * The routine jobs: each schedule with its cron and time zone, its next run, its last run's
 * outcome, and (for an admin) a button that runs it now on all its targets, as `homeostat run`
 * does; below, the latest runs, each linked to its audit entry.
 */
import type { AuditEntry } from '../../audit/entry.js';
import { NotReadyError } from '../../runtime/engine.js';
import { RunRefused } from '../../schedule/service.js';
import { duration, outcomeBadge, outcomeOf, time } from '../format.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import type { Section, View } from '../view.js';
import { entryLink } from './actions.js';

const RUN_ROWS = 20;

function runNowForm(name: string, view: View): Html {
  if (view.session.role !== 'admin') return html``;
  const path = `/ui/schedules/${encodeURIComponent(name)}/run`;
  return html`<form method="post" action="${path}" hx-post="${path}" hx-target="#msg-schedules" hx-swap="innerHTML" class="inline">
<input type="hidden" name="_csrf" value="${view.session.csrf}">
<button type="submit" id="run-${name}">Run now<span class="visually-hidden"> ${name}</span></button>
</form>`;
}

function lastRun(run: AuditEntry | undefined): Html {
  if (!run) return html`<span class="note">none since the engine started</span>`;
  return html`${outcomeBadge(outcomeOf(run))} ${time(run.execution?.startedAt ?? run.at)} on ${run.target ?? '—'} (${entryLink(run)})`;
}

function runRow(e: AuditEntry): Html {
  const s = e.schedule!;
  return html`<tr>
<td data-label="Due">${time(s.due)}</td>
<td class="text" data-label="Schedule">${s.name} <span class="note">${s.trigger}${s.by ? ` by ${s.by}` : ''}</span></td>
<td class="text" data-label="Target">${e.target ?? '—'}</td>
<td data-label="Outcome">${outcomeBadge(outcomeOf(e))}</td>
<td data-label="Duration">${duration(e.execution?.durationMs)}</td>
<td data-label="Entry">${entryLink(e)}</td>
</tr>`;
}

export const schedulesSection: Section = {
  id: 'schedules',
  title: 'Routine jobs',
  render(view) {
    const schedules = view.engine.schedules?.list() ?? [];
    const runs = view.engine.recent.list({ kind: 'run', limit: Number.MAX_SAFE_INTEGER });
    if (!schedules.length && !runs.length) return html`<p class="note">The active revision has no schedule (<code>kind: Schedule</code> in rules/).</p>`;
    return html`<table class="cards">
<thead><tr><th scope="col">Schedule</th><th scope="col">Cron</th><th scope="col">Next run</th><th scope="col">Last run</th>${view.session.role === 'admin' ? html`<th scope="col"><span class="visually-hidden">Run now</span></th>` : ''}</tr></thead>
<tbody>
${schedules.map((s) => html`<tr>
<td class="text" data-label="Schedule">${s.name}</td>
<td data-label="Cron"><code>${s.cron}</code> <span class="note">${s.timezone}</span></td>
<td data-label="Next run">${time(s.next)}</td>
<td class="text" data-label="Last run">${lastRun(runs.find((r) => r.schedule?.name === s.name))}</td>
${view.session.role === 'admin' ? html`<td data-label="">${runNowForm(s.name, view)}</td>` : ''}
</tr>`)}
</tbody>
</table>
<h3>Latest runs</h3>
<p class="note">Since the engine started; older ones: <code>homeostat runs</code>.</p>
${runs.length ? html`<table class="cards">
<thead><tr><th scope="col">Due</th><th scope="col">Schedule</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Entry</th></tr></thead>
<tbody>
${runs.slice(0, RUN_ROWS).map(runRow)}
</tbody>
</table>` : html`<p class="note">No run since the engine started.</p>`}`;
  },
  register(routes) {
    routes.post('/ui/schedules/:name/run', async ({ params, view, ip }) => {
      const service = view.engine.schedules;
      if (!service) return { status: 503, text: 'this engine runs no schedules' };
      try {
        const entries = await service.runNow(params.name!, { by: `${view.session.name} (web page, from ${ip})` });
        return { status: 202, text: `${params.name}: run asked for on ${entries.length} ${entries.length === 1 ? 'target' : 'targets'} (${entries.map((e) => e.target).join(', ')}); its outcome follows below.` };
      } catch (error) {
        if (error instanceof RunRefused) return { status: error.status, text: `${params.name}: not run: ${error.message}` };
        if (error instanceof NotReadyError) return { status: 503, text: `${params.name}: not run: the engine is not ready: ${error.message}` };
        throw error;
      }
    });
  },
};
