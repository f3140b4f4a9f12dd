/**
 * A section on the page: its heading, a live region for what its buttons did (kept across
 * refreshes, so a screen reader hears the answer), and its body, fetched again every few
 * seconds and at once after one of its buttons was used (the `refresh-ID` event).
 */
import { html } from '../html.js';
import type { Html } from '../html.js';
import type { Section, View } from '../view.js';

/** How often the page asks again: a decided action shows within this. */
export const POLL_SECONDS = 5;

export function refreshEvent(section: Pick<Section, 'id'>): string {
  return `refresh-${section.id}`;
}

export function sectionFrame(section: Section, view: View): Html {
  const id = section.id;
  return html`<section id="${id}" class="panel" aria-labelledby="h-${id}">
<h2 id="h-${id}">${section.title}</h2>
<p id="msg-${id}" class="message" role="status"></p>
<div id="body-${id}" hx-get="/ui/sections/${id}" hx-trigger="every ${POLL_SECONDS}s, ${refreshEvent(section)} from:body" hx-swap="innerHTML">
${section.render(view)}
</div>
</section>`;
}

/** The text put in a section's live region after a button: what happened, or why not. */
export function messageText(text: string): Html {
  return html`${text}`;
}
