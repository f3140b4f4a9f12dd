/** How the page writes times, durations and outcomes: small pieces of markup the sections share. */
import { html } from './html.js';
import type { Html } from './html.js';

/**
 * A time as UTC text (what a page without its script shows) with its instant in `datetime`;
 * the page's script rewrites the text in the viewer's time zone and keeps UTC in the title.
 */
export function time(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="note">—</span>`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return html`${iso}`;
  const utc = new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return html`<time datetime="${new Date(ms).toISOString()}" title="${utc}">${utc}</time>`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1_000)} s`;
}

const TONES: Record<string, 'ok' | 'bad' | 'warn' | 'info'> = {
  succeeded: 'ok', failed: 'bad', timed_out: 'bad', interrupted: 'bad', refused: 'warn', denied: 'warn', skipped: 'warn', missed: 'warn',
  running: 'info', pending: 'info', 'awaiting approval': 'info',
};

/** An outcome as a word (never a colour alone), coloured by how it went. */
export function outcomeBadge(outcome: string): Html {
  return html`<span class="badge ${TONES[outcome] ?? 'info'}">${outcome.replace('_', ' ')}</span>`;
}

/** What an entry's outcome reads as while it has none yet. */
export function outcomeOf(entry: { outcome?: string | null; verdict?: string; execution?: { startedAt: string } | null }): string {
  if (entry.outcome) return entry.outcome;
  if (entry.verdict === 'awaiting-approval') return 'awaiting approval';
  return entry.execution ? 'running' : 'pending';
}
