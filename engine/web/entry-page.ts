/**
 * One audit entry in full, as the page links to it from a row: what decided it (alert and
 * labels, policy, revision), the rendered parameters, each guard checked and the one that
 * refused, who approved, and the run (command, exit code, duration, the tail of its output).
 * Everything here came from an alert or a process, so everything is escaped text.
 */
import type { AuditEntry } from '../audit/entry.js';
import { duration, outcomeBadge, outcomeOf, time } from './format.js';
import { html } from './html.js';
import type { Html } from './html.js';

/** Refusals of a storm shown on the page; the audit file lists them all. */
const REFUSALS_SHOWN = 200;

function json(value: unknown): Html {
  return html`<pre>${JSON.stringify(value, null, 2)}</pre>`;
}

function fact(name: string, value: Html | string | number | null | undefined): Html {
  if (value === null || value === undefined || value === '') return html``;
  return html`<dt>${name}</dt><dd>${value}</dd>`;
}

function entryRef(id: string): Html {
  return html`<a href="/actions/${id}">${id}</a>`;
}

function alertPart(e: AuditEntry): Html {
  if (!e.alert) return html``;
  const labels = Object.entries(e.alert.labels).sort(([a], [b]) => a.localeCompare(b));
  return html`<h2>Alert</h2>
<dl class="facts">
${fact('Name', e.alert.alertname)}${fact('Status', e.alert.status)}${fact('Fingerprint', html`<code>${e.alert.fingerprint}</code>`)}${fact('Started', time(e.alert.startsAt))}${fact('Receiver', e.alert.receiver)}
</dl>
<table class="cards"><caption class="visually-hidden">Labels of the alert</caption>
<thead><tr><th scope="col">Label</th><th scope="col">Value</th></tr></thead>
<tbody>${labels.map(([k, v]) => html`<tr><td data-label="Label"><code>${k}</code></td><td class="text" data-label="Value">${v}</td></tr>`)}</tbody>
</table>`;
}

function guardsPart(e: AuditEntry): Html {
  if (!e.guards) return html``;
  return html`<h2>Guards</h2>
<dl class="facts">
${fact('Passed', e.guards.passed.length ? e.guards.passed.join(', ') : 'none')}
${fact('Refused by', e.guards.refusedBy ?? 'none: every guard passed')}
${e.approval ? fact('Approval', html`${e.approval.answer} by ${e.approval.by}, ${time(e.approval.at)}`) : ''}
</dl>`;
}

function executionPart(e: AuditEntry): Html {
  const x = e.execution;
  if (!x) return html`<h2>Run</h2><p>Not started${e.outcome ? '' : ' yet'}.</p>`;
  return html`<h2>Run</h2>
<dl class="facts">
${fact('Started', time(x.startedAt))}${fact('Ended', x.endedAt ? time(x.endedAt) : 'still running')}${fact('Duration', duration(x.durationMs))}
${fact('Exit code', x.exitCode)}${fact('Signal', x.signal)}${fact('Dry run', x.dryRun ? 'yes' : 'no')}
</dl>
${x.command.length ? html`<h3>Command</h3>${json(x.command)}` : ''}
<h3>Output (tail${x.outputTruncated ? ', earlier output cut' : ''})</h3>
${x.output ? html`<pre>${x.output}</pre>` : html`<p class="note">No output.</p>`}
${x.details ? html`<h3>Details</h3>${json(x.details)}` : ''}`;
}

function refusalsPart(e: AuditEntry): Html {
  if (e.kind !== 'refusals' || !e.refusals) return html``;
  const shown = e.refusals.slice(0, REFUSALS_SHOWN);
  return html`<h2>Refused actions</h2>
<p class="note">${e.count} refused by ${e.guard}${e.refusals.length > shown.length ? `; the first ${shown.length} shown, every one in the audit file` : ''}.</p>
<table class="cards"><thead><tr><th scope="col">Policy / action</th><th scope="col">Target</th><th scope="col">Reason</th></tr></thead>
<tbody>${shown.map((r) => html`<tr><td class="text" data-label="Policy">${r.policy} / ${r.action}</td><td class="text" data-label="Target">${r.target ?? '—'}</td><td class="text" data-label="Reason">${r.reason}</td></tr>`)}</tbody></table>`;
}

/** The details of an entry: what GET /ui/entries/ID returns and the entry page shows. */
export function entryDetails(e: AuditEntry): Html {
  const what = e.kind === 'run' ? `schedule ${e.schedule?.name ?? ''}` : e.kind === 'event' ? `event ${e.event?.name ?? ''}` : e.kind === 'refusals' ? `${e.count} refusals` : `${e.policy ?? ''} / ${e.action ?? ''}`;
  return html`<dl class="facts">
${fact('What', what)}${fact('Kind', e.kind)}${fact('Decided', time(e.at))}${fact('Policy revision', html`<code>${e.revision}</code>`)}
${fact('Action type', e.type)}${fact('Phase', e.phase)}${fact('Target', e.target)}${fact('Description', e.description)}
${fact('Verdict', e.verdict)}${e.kind === 'event' ? '' : fact('Outcome', outcomeBadge(outcomeOf(e)))}${fact('Reason', e.reason)}
${e.schedule ? fact('Run', html`${e.schedule.trigger}${e.schedule.by ? ` by ${e.schedule.by}` : ''}, due ${time(e.schedule.due)}`) : ''}
${e.event ? fact('Event', e.event.message) : ''}
${e.parent ? fact('Notification of', entryRef(e.parent)) : ''}
${e.notifications?.length ? fact('Notifications', html`${e.notifications.map((id, i) => html`${i ? ', ' : ''}${entryRef(id)}`)}`) : ''}
</dl>
${alertPart(e)}
${guardsPart(e)}
${e.params ? html`<h2>Rendered parameters</h2>${json(e.params)}` : ''}
${e.enrichment?.length ? html`<h2>Enrichment</h2>${json(e.enrichment)}` : ''}
${e.kind === 'action' || e.kind === 'run' ? executionPart(e) : ''}
${refusalsPart(e)}`;
}

export function entryPage(e: AuditEntry): Html {
  return html`<p><a href="/">← Back to the overview</a></p>
<h1>Audit entry <code>${e.id}</code></h1>
<div id="entry" hx-get="/ui/entries/${e.id}" hx-trigger="every 5s" hx-swap="innerHTML">
${entryDetails(e)}
</div>
<p class="note">The same in the audit repository: <code>homeostat audit show ${e.id}</code>.</p>`;
}
