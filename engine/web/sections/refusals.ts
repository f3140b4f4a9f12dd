/**
 * Refusals over the last hour, by the guard that refused: which safety net is catching what
 * (a blast radius holding a storm, a cooldown holding a flapping alert). Counted over the
 * entries the engine keeps in memory; homeostat_refusals_total counts every one since start.
 */
import type { AuditEntry } from '../../audit/entry.js';
import { time } from '../format.js';
import { html } from '../html.js';
import type { Section } from '../view.js';

export const REFUSAL_WINDOW_MS = 3_600_000;

/** Refused actions and runs decided since `since`, by guard, most first (then by name). */
export function refusalsByGuard(entries: readonly AuditEntry[], since: number): { guard: string; count: number; last: string }[] {
  const by = new Map<string, { count: number; last: string }>();
  const add = (guard: string, count: number, at: string) => {
    const seen = by.get(guard);
    by.set(guard, { count: (seen?.count ?? 0) + count, last: seen && seen.last > at ? seen.last : at });
  };
  for (const e of entries) {
    if (Date.parse(e.at) < since) continue;
    if (e.kind === 'refusals') add(e.guard ?? 'unknown', e.count ?? e.refusals?.length ?? 1, e.at);
    else if (e.outcome === 'refused') add(e.guards?.refusedBy ?? 'unknown', 1, e.at);
  }
  return [...by].map(([guard, v]) => ({ guard, ...v })).sort((a, b) => b.count - a.count || a.guard.localeCompare(b.guard));
}

export const refusalsSection: Section = {
  id: 'refusals',
  title: 'Refusals in the last hour, by guard',
  render(view) {
    const all = Number.MAX_SAFE_INTEGER;
    const entries = [...view.engine.recent.list({ limit: all }), ...view.engine.recent.list({ kind: 'run', limit: all })];
    const rows = refusalsByGuard(entries, view.now - REFUSAL_WINDOW_MS);
    const note = html`<p class="note">Since ${time(new Date(view.now - REFUSAL_WINDOW_MS).toISOString())}, over the entries the engine keeps in memory (<code>homeostat_refusals_total</code> counts all).</p>`;
    if (!rows.length) return html`${note}<p>No action or run refused.</p>`;
    return html`${note}<table class="cards">
<thead><tr><th scope="col">Guard</th><th scope="col">Refused</th><th scope="col">Last</th></tr></thead>
<tbody>
${rows.map((r) => html`<tr><td class="text" data-label="Guard">${r.guard}</td><td data-label="Refused">${r.count}</td><td data-label="Last">${time(r.last)}</td></tr>`)}
</tbody>
</table>`;
  },
};
