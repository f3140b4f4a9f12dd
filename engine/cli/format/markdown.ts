/**
 * Markdown for a pull-request comment, where alert labels, targets, parameters and reasons are
 * hostile input: `[x](https://…)` would become a link, `<img>` an image, `**` emphasis, a bare
 * URL an autolink, `|` a new table cell, a newline a new block. Every such value is written as
 * a code span, whose content Markdown never reads as markup, HTML or a link.
 */
import { escapeControl } from './terminal.js';

/**
 * A value as an inline code span: control characters escaped (newlines too, so it stays one
 * line), fenced by more backticks than the longest run inside. In a table cell (`inTable`), a
 * pipe is escaped as `\|`, which GitHub's tables read as a pipe even inside a code span.
 */
export function code(value: string, inTable = false): string {
  if (value === '') return '—';
  let text = escapeControl(value);
  if (inTable) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // A leading or trailing backtick or space would merge with the fence or be stripped: pad both sides (one space is stripped from each).
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A code span for a table cell. */
export function cell(value: string): string {
  return code(value, true);
}

/** A collapsed section, for a long list: the summary is the formatter's own words. */
export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n</details>\n`;
}
