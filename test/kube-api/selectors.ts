/** Label selectors (equality and set-based) and the field selectors the test server supports. */
import type { KubeObject } from './store.js';

export class SelectorError extends Error {}

type Test = (labels: Record<string, string>) => boolean;

/** Splits on commas outside parentheses: `a in (x,y),b`. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function labelTerm(term: string): Test {
  let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m as unknown as [string, string, string, string];
    const values = list.split(',').map((v) => v.trim());
    return op === 'in' ? (l) => values.includes(l[key] ?? '\0') : (l) => !values.includes(l[key] ?? '\0');
  }
  m = /^(!?)([\w./-]+)$/.exec(term);
  if (m) return m[1] ? (l) => !Object.hasOwn(l, m![2]!) : (l) => Object.hasOwn(l, m![2]!);
  throw new SelectorError(`unable to parse requirement: ${term}`);
}

export function labelMatcher(text: string): (o: KubeObject) => boolean {
  const tests = terms(text).map(labelTerm);
  return (o) => tests.every((t) => t(o.metadata.labels ?? {}));
}

const FIELDS: Record<string, (o: KubeObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
  'spec.nodeName': (o) => o.spec?.nodeName ?? '',
  'status.phase': (o) => o.status?.phase ?? '',
};

export function fieldMatcher(text: string): (o: KubeObject) => boolean {
  const tests = terms(text).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
    const read = FIELDS[m[1]!];
    if (!read) throw new SelectorError(`field label not supported: ${m[1]}`);
    return m[2] === '!=' ? (o: KubeObject) => read(o) !== m[3] : (o: KubeObject) => read(o) === m[3];
  });
  return (o) => tests.every((t) => t(o));
}

/** A LabelSelector object (matchLabels, matchExpressions) against labels. */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const matchLabels: Record<string, string> = selector.matchLabels ?? {};
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok = e.operator === 'In' ? has && e.values.includes(labels[e.key]) : e.operator === 'NotIn' ? !has || !e.values.includes(labels[e.key]) : e.operator === 'Exists' ? has : !has;
    if (!ok) return false;
  }
  return Object.keys(matchLabels).length > 0 || (selector.matchExpressions ?? []).length > 0;
}
