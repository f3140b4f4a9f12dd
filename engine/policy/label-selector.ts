/**
 * Kubernetes label selectors, as `kubectl get nodes -l` takes them: `a=b`, `a==b`, `a!=b`,
 * `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas (all must hold). Parsed once from
 * homeostat.yaml and matched here against the labels the API reports, so one list of nodes
 * serves every selector. Pure; the settings' own text, never an alert's, reaches it.
 */

export type LabelTest = (labels: Readonly<Record<string, string>>) => boolean;

export interface LabelSelector {
  text: string;
  matches: LabelTest;
}

/** A key: an optional DNS prefix and '/', then a name (Kubernetes' qualified name). */
const KEY = '(?:[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';
const VALUE = '(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?';
const EQUALITY = new RegExp(`^(?<key>${KEY})\\s*(?<op>==|=|!=)\\s*(?<value>${VALUE})$`);
const SET = new RegExp(`^(?<key>${KEY})\\s+(?<op>in|notin)\\s+\\((?<values>[^()]*)\\)$`);
const EXISTS = new RegExp(`^(?<not>!?)\\s*(?<key>${KEY})$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);

/** The selector, or why it does not parse (a message naming the requirement). */
export function parseLabelSelector(text: string): LabelSelector | { error: string } {
  const tests: LabelTest[] = [];
  for (const term of splitTerms(text)) {
    const test = termTest(term);
    if (typeof test === 'string') return { error: test };
    tests.push(test);
  }
  if (tests.length === 0) return { error: 'the selector is empty' };
  return { text, matches: (labels) => tests.every((t) => t(labels)) };
}

/** Splits on the commas that no parenthesis follows before an opening one: `a in (x,y),b`. */
function splitTerms(text: string): string[] {
  return text.split(/,(?![^(]*\))/).map((t) => t.trim());
}

function termTest(term: string): LabelTest | string {
  if (term === '') return 'an empty requirement (two commas, or a comma at an end)';
  const equality = EQUALITY.exec(term)?.groups;
  if (equality) {
    const { key, op, value } = equality as { key: string; op: string; value: string };
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  const set = SET.exec(term)?.groups;
  if (set) {
    const { key, op } = set as { key: string; op: string };
    const values = set.values!.split(',').map((v) => v.trim());
    const bad = values.find((v) => v === '' || !VALUE_ONLY.test(v));
    if (bad !== undefined) return `'${term}': '${bad}' is not a label value`;
    const allowed = new Set(values);
    return op === 'in' ? (l) => Object.hasOwn(l, key) && allowed.has(l[key]!) : (l) => !Object.hasOwn(l, key) || !allowed.has(l[key]!);
  }
  const exists = EXISTS.exec(term)?.groups;
  if (exists) {
    const key = exists.key!;
    return exists.not ? (l) => !Object.hasOwn(l, key) : (l) => Object.hasOwn(l, key);
  }
  return `'${term}' is not a requirement (key=value, key!=value, key in (a,b), key notin (a), key, !key)`;
}
