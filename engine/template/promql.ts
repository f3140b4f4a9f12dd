/**
 * PromQL query templates (a policy's `enrich:` queries and the `prometheus` fact's
 * `params.query`). Alert values reach a query only inside string literals, escaped: a label
 * holding `"} or vector(1) or {"` stays one string value and cannot change the query.
 *
 * A query template is PromQL text with `{{ … }}` outputs and nothing else (no `{% %}` tags).
 * Each output must stand inside a quoted string of the text (`instance="{{ labels.instance }}"`);
 * lint refuses one that stands outside (HST_PROMQL_UNQUOTED). Each output is rendered on its
 * own and escaped for the quote it stands in; in the value of a regex matcher (`=~`, `!~`) it
 * is also regex-quoted, so that a label's `.*` matches a dot and a star, not every series.
 */
import { compileTemplate, renderTemplate } from './template.js';
import type { CompiledTemplate, TemplateProblem } from './template.js';
import type { TemplateRoot } from './liquid.js';

/** What a query may read: the alert, never another enrichment or the target. */
export const QUERY_ROOTS: readonly TemplateRoot[] = ['labels', 'annotations', 'alert', 'group'];

type Quote = '"' | "'";

interface Hole {
  template: CompiledTemplate;
  quote: Quote;
  /** Inside the value of a `=~` or `!~` matcher: regex-quoted before it is escaped. */
  regex: boolean;
}

export interface PromqlTemplate {
  source: string;
  parts: readonly (string | Hole)[];
}

export interface PromqlProblem {
  code: 'HST_PROMQL_UNQUOTED' | 'HST_PROMQL_TEMPLATE' | TemplateProblem['code'];
  message: string;
  hint: string;
}

const OUTPUT = /\{\{([\s\S]*?)\}\}/y;

/** Lexes the query text around its outputs; every problem at once. */
export function compilePromql(source: string, roots: readonly TemplateRoot[] = QUERY_ROOTS): { template: PromqlTemplate | null; problems: PromqlProblem[] } {
  const problems: PromqlProblem[] = [];
  const parts: (string | Hole)[] = [];
  let text = '';
  let quote: Quote | '`' | null = null;
  let regex = false;
  let comment = false;
  for (let i = 0; i < source.length; ) {
    if (source.startsWith('{%', i)) {
      problems.push({ code: 'HST_PROMQL_TEMPLATE', message: 'a query template has a {% %} tag', hint: 'a query may hold {{ }} outputs inside quoted strings only; choose between queries with two enrich entries' });
      break;
    }
    if (source.startsWith('{{', i)) {
      OUTPUT.lastIndex = i;
      const m = OUTPUT.exec(source);
      if (!m) {
        problems.push({ code: 'HST_PROMQL_TEMPLATE', message: 'a {{ in the query is never closed', hint: 'close it with }}' });
        break;
      }
      const output = m[0];
      i += output.length;
      if (quote !== '"' && quote !== "'") {
        problems.push({
          code: 'HST_PROMQL_UNQUOTED',
          message: `${output} stands outside a quoted string of the query${quote === '`' ? ' (in a raw `…` string, which cannot escape)' : comment ? ' (in a comment)' : ''}: an alert value could change the query`,
          hint: 'put it inside a matcher value\'s double quotes, e.g. node_load1{instance="{{ labels.instance }}"}; it is then escaped as a PromQL string',
        });
        continue;
      }
      if (/^\{\{-|-\}\}$/.test(output)) {
        problems.push({ code: 'HST_PROMQL_TEMPLATE', message: `${output} uses whitespace control in a query`, hint: 'write {{ … }} without - : it would trim the query text around it' });
        continue;
      }
      const compiled = compileTemplate(output, roots);
      problems.push(...compiled.problems);
      if (text) parts.push(text);
      text = '';
      parts.push({ template: compiled.template, quote, regex });
      continue;
    }
    const c = source[i]!;
    text += c;
    i++;
    if (comment) {
      if (c === '\n') comment = false;
    } else if (quote === null) {
      if (c === '#') comment = true;
      else if (c === '"' || c === "'" || c === '`') {
        quote = c;
        regex = /[=!]~\s*$/.test(text.slice(0, -1));
      }
    } else if (c === '\\' && quote !== '`' && i < source.length && !source.startsWith('{{', i)) {
      text += source[i]!;
      i++;
    } else if (c === quote) {
      quote = null;
    }
  }
  if (quote !== null && problems.length === 0) {
    problems.push({ code: 'HST_PROMQL_TEMPLATE', message: `a ${quote} string of the query is never closed`, hint: 'close the quoted string' });
  }
  if (text) parts.push(text);
  return { template: problems.length ? null : Object.freeze({ source, parts: Object.freeze(parts) }), problems };
}

/** The query with each output rendered and escaped; a missing label throws TemplateRenderError. */
export function renderPromql(template: PromqlTemplate, scope: object): string {
  let query = '';
  for (const part of template.parts) {
    if (typeof part === 'string') query += part;
    else {
      const value = renderTemplate(part.template, scope);
      query += escapePromqlString(part.regex ? quoteRegex(value) : value, part.quote);
    }
  }
  return query;
}

/**
 * A value as the inside of a PromQL string literal in `quote` (Prometheus's strutil.Unquote
 * reads it back as the value): the backslash and that quote escaped, control characters as
 * \xHH, so no value can end the string.
 */
export function escapePromqlString(value: string, quote: Quote): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch < ' ' || ch === '\x7f') out += '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** RE2's QuoteMeta: a value matched literally by a regex matcher. */
export function quoteRegex(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
