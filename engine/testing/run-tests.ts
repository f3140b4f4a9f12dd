/**
 * Runs PolicyTest cases through the same pipeline as simulate, and compares the decisions
 * with the expectations: every expectation met by one decision, every decision expected.
 */
import type { Case, Expectation, PolicyTest } from '../generated/schema-types.js';
import type { LoadedDoc } from '../load/repository.js';
import { resolveTestPath } from '../load/repository.js';
import { payloadFromInline, splitPayload } from '../alerts/payload.js';
import type { SplitPayload } from '../alerts/payload.js';
import type { Decision } from '../plan/decide.js';
import type { GuardFacts } from '../plan/node-guards.js';
import type { EnrichmentSource, EnrichmentValue } from '../policy/enrichment.js';
import type { PolicySet } from '../policy/types.js';
import { simulate } from '../pipeline/simulate.js';

export interface CaseResult {
  file: string;
  line: number;
  test: string;
  name: string;
  passed: boolean;
  /** Expectations no decision met. */
  missing: Expectation[];
  /** Decisions no expectation named. */
  unexpected: Decision[];
  error: string | null;
}

/** Reads a payload file named by a case, relative to the repository root. */
export type ReadPayload = (repoPath: string) => string;

const DEFAULT_NOW = '2026-01-05T12:00:00Z';

export async function runTests(set: PolicySet, tests: readonly LoadedDoc<PolicyTest>[], read: ReadPayload): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const test of tests) {
    for (const [i, c] of test.value.spec.cases.entries()) {
      const line = test.placeOf(`/spec/cases/${i}`)?.line ?? test.line;
      const base = { file: test.file, line, test: test.value.metadata.name, name: c.name };
      try {
        const payload = casePayload(test.file, c, read);
        const simulation = await simulate(set, [payload], { now: Date.parse(c.now ?? DEFAULT_NOW), enrichment: fixedEnrichment(c.enrichment), facts: OFFLINE });
        const { missing, unexpected } = compare(c.expect, simulation.decisions);
        results.push({ ...base, passed: missing.length === 0 && unexpected.length === 0, missing, unexpected, error: null });
      } catch (error) {
        results.push({ ...base, passed: false, missing: [], unexpected: [], error: (error as Error).message });
      }
    }
  }
  return results;
}

function casePayload(testFile: string, c: Case, read: ReadPayload): SplitPayload {
  const body = typeof c.alerts === 'string' ? JSON.parse(read(resolveTestPath(testFile, c.alerts) ?? c.alerts)) : payloadFromInline(c.alerts, c.now ?? DEFAULT_NOW);
  const split = splitPayload(body);
  if (!split.ok) throw new Error(`alerts: ${split.problems.map((p) => `${p.pointer} ${p.message}`).join('; ')}`);
  return split.payload;
}

/**
 * Prometheus as a case says it would answer: by rendered query under `prometheus`, else by
 * enrich name. A query the case gives no value for fails, as Prometheus down would: the
 * decision says which value to add.
 */
/** Policy tests read no fleet: minHealthy and the cluster's protected nodes pass (plan/node-guards.ts). */
const OFFLINE: GuardFacts = { offline: true };

export function fixedEnrichment(values: Case['enrichment']): EnrichmentSource {
  const given = values ?? {};
  const byQuery = (Object.hasOwn(given, 'prometheus') ? given.prometheus : {}) as Record<string, CaseValue>;
  return {
    async query(query, { name }) {
      const value = Object.hasOwn(byQuery, query) ? byQuery[query] : name !== null && name !== 'prometheus' && Object.hasOwn(given, name) ? (given[name] as CaseValue) : undefined;
      if (value === undefined) {
        throw new Error(`this test case gives no value for ${name === null ? `the query ${query}` : `'${name}' (${query})`}: add it under the case's enrichment${name === null ? ".prometheus, by the rendered query" : ''}`);
      }
      if (typeof value === 'object' && value !== null) throw new Error(value.error);
      return value;
    },
  };
}

type CaseValue = EnrichmentValue | { error: string };

/** Whether a decision meets an expectation: every field the expectation names. */
export function meets(e: Expectation, d: Decision): boolean {
  if (e.policy !== d.policy || e.action !== d.action) return false;
  if (e.type !== undefined && e.type !== d.type) return false;
  if (e.target !== undefined && e.target !== d.target) return false;
  if (e.fingerprint !== undefined && e.fingerprint !== d.alert.fingerprint) return false;
  if (e.verdict !== undefined && e.verdict !== d.verdict) return false;
  if (e.reason !== undefined && !(d.reason ?? '').includes(e.reason)) return false;
  if (e.params !== undefined && !isSubset(e.params, d.params)) return false;
  return true;
}

function isSubset(expected: unknown, actual: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return Object.is(expected, actual);
  if (typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((v, i) => isSubset(v, actual[i]));
  return Object.entries(expected).every(([k, v]) => Object.hasOwn(actual, k) && isSubset(v, (actual as Record<string, unknown>)[k]));
}

function compare(expect: readonly Expectation[], decisions: readonly Decision[]): { missing: Expectation[]; unexpected: Decision[] } {
  const left = [...decisions];
  const missing: Expectation[] = [];
  for (const e of expect) {
    const i = left.findIndex((d) => meets(e, d));
    if (i === -1) missing.push(e);
    else left.splice(i, 1);
  }
  return { missing, unexpected: left };
}

/** What went wrong in a failed case, one line each. */
export function failureLines(r: CaseResult): string[] {
  if (r.error) return [`error: ${r.error}`];
  return [
    ...r.missing.map((e) => `expected, not decided: ${JSON.stringify(e)}`),
    ...r.unexpected.map((d) => `decided, not expected: ${JSON.stringify({ policy: d.policy, action: d.action, target: d.target, verdict: d.verdict, reason: d.reason, fingerprint: d.alert.fingerprint })}`),
  ];
}
