/**
 * Lint of a policy's enrichment: its `enrich:` queries (names unique, outputs only inside
 * quoted strings), the `prometheus` fact's params, and every `{{ enrichment.NAME }}` naming
 * an entry that exists. Reads the document as written, defensively.
 */
import type { Problem } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import { liquid } from '../template/liquid.js';
import { compilePromql } from '../template/promql.js';

type Path = (string | number)[];

/** The names of the `enrich:` entries as written. */
export function enrichNames(enrich: unknown): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(enrich)) return names;
  for (const entry of enrich) if (isNamed(entry)) names.add(entry.name);
  return names;
}

function isNamed(value: unknown): value is { name: string } {
  return typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string';
}

export function checkEnrichList(enrich: unknown): Problem[] {
  if (!Array.isArray(enrich)) return [];
  const problems: Problem[] = [];
  const first = new Map<string, string>();
  enrich.forEach((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) return;
    const { name, query } = entry as { name?: unknown; query?: unknown };
    if (typeof name === 'string') {
      const at = pointerOf(['spec', 'enrich', i, 'name']);
      const seen = first.get(name);
      if (seen) problems.push({ pointer: at, code: 'HST_ENRICH_DUPLICATE', message: `enrich name '${name}' is used twice in this policy`, hint: `rename one; the first is at ${seen}` });
      else first.set(name, at);
    }
    problems.push(...queryProblems(query, ['spec', 'enrich', i, 'query']));
  });
  return problems;
}

export function queryProblems(query: unknown, path: Path): Problem[] {
  if (typeof query !== 'string') return [];
  return compilePromql(query).problems.map((p) => ({ pointer: pointerOf(path), ...p }));
}

/** A `prometheus` condition's params: one enrich entry by name, or one query. */
export function prometheusParamProblems(params: unknown, path: Path, names: ReadonlySet<string>): Problem[] {
  const p = (typeof params === 'object' && params !== null ? params : {}) as { name?: unknown; query?: unknown };
  if (typeof p.name === 'string' && p.query === undefined) {
    if (names.has(p.name)) return [];
    return [{ pointer: pointerOf([...path, 'params', 'name']), code: 'HST_ENRICH_UNKNOWN', message: `no enrich entry is named '${p.name}'`, hint: names.size ? `use one of ${[...names].join(', ')}` : 'add it under spec.enrich: [{ name, query }]' }];
  }
  if (typeof p.query === 'string' && p.name === undefined) return queryProblems(p.query, [...path, 'params', 'query']);
  return [{ pointer: pointerOf([...path, 'params']), code: 'HST_ENRICH_UNKNOWN', message: 'the prometheus fact needs params: { name: NAME } (an enrich entry) or params: { query: PROMQL }, one of them', hint: "write params: { name: load } and declare enrich: [{ name: load, query: 'node_load1{instance=\"{{ labels.instance }}\"}' }]" }];
}

/** Every `enrichment.NAME` a template reads must be an enrich entry of the policy. */
export function enrichmentRefProblems(template: string, path: Path, names: ReadonlySet<string>): Problem[] {
  if (!template.includes('enrichment')) return [];
  let segments: (string | number)[][];
  try {
    segments = liquid.globalVariableSegmentsSync(liquid.parse(template)) as (string | number)[][];
  } catch {
    return []; // the template checks report why it does not parse
  }
  const unknown = new Set(segments.filter((s) => s[0] === 'enrichment' && s.length > 1 && !names.has(String(s[1]))).map((s) => String(s[1])));
  return [...unknown].map((name) => ({
    pointer: pointerOf(path),
    code: 'HST_ENRICH_UNKNOWN',
    message: `template reads enrichment.${name}, and no enrich entry is named '${name}'`,
    hint: names.size ? `use one of ${[...names].map((n) => `enrichment.${n}`).join(', ')}` : 'declare it under spec.enrich: [{ name, query }]',
  }));
}
