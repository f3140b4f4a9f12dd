/**
 * `replay --match`: a PromQL series selector, `{job="node", severity=~"crit.*"}`, parsed into
 * matchers and written back from them. The text is the reviewer's, not an alert's, yet it is
 * never spliced into a query: only matchers that parse are, each value re-quoted, so the
 * query sent is `ALERTS{alertstate="firing", …}` and nothing else.
 */
import { checkRegex } from '../regex/re2.js';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  name: string;
  op: MatchOp;
  value: string;
}

export class SelectorError extends Error {}

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const OP = /^(=~|!~|!=|=)/;
/** Labels the query sets itself: the series name, and the state (firing, never pending). */
const RESERVED = new Set(['__name__', 'alertstate']);
/** PromQL's escapes in a quoted string (Go's), those a selector needs. */
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

function quoted(text: string, at: number): { value: string; end: number } {
  const quote = text[at];
  if (quote !== '"' && quote !== "'") throw new SelectorError(`expected a quoted value at character ${at + 1}`);
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === quote) return { value, end: i + 1 };
    if (c === '\n') break;
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined || !(next in ESCAPES)) throw new SelectorError(`unknown escape \\${next ?? ''} at character ${i + 1}`);
    value += ESCAPES[next];
  }
  throw new SelectorError(`the value opened at character ${at + 1} is not closed`);
}

/** `{a="b", c!~"d"}` (a bare `a="b", c="d"` is read the same): its matchers, or SelectorError. */
export function parseSelector(text: string): LabelMatcher[] {
  const trimmed = text.trim();
  const body = trimmed.startsWith('{') ? trimmed : `{${trimmed}}`;
  const offset = trimmed.startsWith('{') ? 0 : -1;
  const matchers: LabelMatcher[] = [];
  let i = 1;
  const skip = () => {
    while (body[i] === ' ' || body[i] === '\t') i++;
  };
  for (skip(); body[i] !== '}'; skip()) {
    const name = NAME.exec(body.slice(i))?.[0];
    if (!name) throw new SelectorError(`expected a label name at character ${i + 1 + offset}`);
    if (RESERVED.has(name)) throw new SelectorError(`${name} is set by replay itself (ALERTS, firing); match on the alert's own labels`);
    i += name.length;
    skip();
    const op = OP.exec(body.slice(i))?.[0] as MatchOp | undefined;
    if (!op) throw new SelectorError(`expected =, !=, =~ or !~ after ${name}`);
    i += op.length;
    skip();
    const { value, end } = quoted(body, i);
    if ((op === '=~' || op === '!~') && checkRegex(value)) throw new SelectorError(`${name}${op}: ${checkRegex(value)!.message}`);
    matchers.push({ name, op, value });
    i = end;
    skip();
    if (body[i] === ',') {
      i++;
      skip();
    } else if (body[i] !== '}') {
      throw new SelectorError(`expected , or } at character ${i + 1 + offset}`);
    }
  }
  if (i !== body.length - 1) throw new SelectorError(`unexpected text after the selector at character ${i + 2 + offset}`);
  return matchers;
}

/** The query for firing alerts, with the matchers written back (JSON's quoting is PromQL's). */
export function alertsQuery(matchers: readonly LabelMatcher[]): string {
  const parts = [{ name: 'alertstate', op: '=', value: 'firing' }, ...matchers].map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`);
  return `ALERTS{${parts.join(',')}}`;
}
