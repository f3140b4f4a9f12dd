/**
 * The latest actions the engine decided, newest first: when, for which alert, policy and
 * action, on which target, the outcome (or that it runs, or waits) and how long it took, each
 * linked to its audit entry's details. A storm's refusals, audited together, are one row.
 */
import type { AuditEntry } from '../../audit/entry.js';
import { duration, outcomeBadge, outcomeOf, time } from '../format.js';
import { html } from '../html.js';
import type { Html } from '../html.js';
import type { Section } from '../view.js';

/** Rows shown: the newest; every one is in GET /api/v1/actions and the audit repository. */
export const ACTION_ROWS = 50;

export function entryLink(entry: AuditEntry): Html {
  return html`<a href="/actions/${entry.id}" aria-label="details of entry ${entry.id}">details</a>`;
}

function row(e: AuditEntry): Html {
  if (e.kind === 'refusals') {
    return html`<tr>
<td data-label="Decided">${time(e.at)}</td>
<td class="text" data-label="Alert">${e.count} alerts</td>
<td class="text" data-label="Policy">${e.policy ?? (e.refusals?.length ? `${e.refusals[0]!.policy} and others` : '—')}</td>
<td class="text" data-label="Target">—</td>
<td data-label="Outcome">${outcomeBadge('refused')} by ${e.guard}</td>
<td data-label="Duration">—</td>
<td data-label="Entry">${entryLink(e)}</td>
</tr>`;
  }
  return html`<tr>
<td data-label="Decided">${time(e.at)}</td>
<td class="text" data-label="Alert">${e.alert ? html`${e.alert.alertname} <span class="note">${e.alert.status}</span>` : e.storm ? html`storm <span class="note">${e.storm.alerts} alerts</span>` : '—'}</td>
<td class="text" data-label="Policy">${e.policy ?? '—'} / ${e.action ?? '—'} <span class="note">${e.type ?? ''}</span></td>
<td class="text" data-label="Target">${e.target ?? '—'}</td>
<td data-label="Outcome">${outcomeBadge(outcomeOf(e))}${e.execution?.dryRun ? html` <span class="badge info">dry run</span>` : ''}${e.outcome === 'refused' && e.guards?.refusedBy ? html` by ${e.guards.refusedBy}` : ''}</td>
<td data-label="Duration">${duration(e.execution?.durationMs)}</td>
<td data-label="Entry">${entryLink(e)}</td>
</tr>`;
}

export const actionsSection: Section = {
  id: 'actions',
  title: 'Recent actions',
  render(view) {
    // Recent keeps the last changed first (an outcome moves its entry up); the table reads by decision time, and ids sort by it.
    const entries = view.engine.recent.list({ limit: ACTION_ROWS }).sort((a, b) => b.id.localeCompare(a.id));
    if (!entries.length) return html`<p class="note">No action decided since the engine started.</p>`;
    return html`<p class="note">The ${entries.length} newest, newest first; older ones in the audit repository (<code>homeostat audit log</code>).</p>
<table class="cards">
<thead><tr><th scope="col">Decided</th><th scope="col">Alert</th><th scope="col">Policy / action</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Entry</th></tr></thead>
<tbody>
${entries.map(row)}
</tbody>
</table>`;
  },
};
