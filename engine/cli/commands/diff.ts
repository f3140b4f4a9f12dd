/**
 * `homeostat diff`: what a change of policy changes. The base revision and the head (a
 * revision, or the directory as it is) are loaded by the loader `--rev` uses; the same alerts
 * go through the simulate pipeline under each, at the same times and with fresh guards; the head
 * is linted and its tests run; then every decision that differs is printed.
 */
import type { Io } from '../io.js';
import { loadPair } from '../load.js';
import { readTimedAlerts } from '../timing.js';
import type { TimingFlags } from '../timing.js';
import type { LoadedPolicies } from '../load.js';
import { EXIT } from '../errors.js';
import { jsonSimulation } from './simulate.js';
import { diffText } from '../format/diff-text.js';
import { diffMarkdown } from '../format/diff-markdown.js';
import { simulate } from '../../pipeline/simulate.js';
import type { Simulation } from '../../pipeline/simulate.js';
import { diffSimulations, introducedProblems } from '../../pipeline/diff.js';
import type { DecisionChange } from '../../pipeline/diff.js';
import type { TimedPayload } from '../../alerts/timeline.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { runTests } from '../../testing/run-tests.js';
import type { CaseResult } from '../../testing/run-tests.js';

export interface DiffFlags extends TimingFlags {
  base: string;
  head?: string;
  alerts: string[];
  dryRun?: boolean;
  failOnChange?: boolean;
}

export interface DiffSide {
  /** How the user named it: the revision given, or 'working tree'. */
  label: string;
  /** The commit, or the content revision of a directory. */
  revision: string;
  /** Null when the side does not load: it has lint errors. */
  simulation: Simulation | null;
  /** Its lint errors (the head's are also among `introduced` when new). */
  errors: Diagnostic[];
  /** Every lint problem, warnings too. */
  diagnostics: Diagnostic[];
}

export interface DiffReport {
  base: DiffSide;
  head: DiffSide;
  alerts: number;
  changes: DecisionChange[];
  /** Lint problems (errors and warnings) of the head that the base does not have. */
  introduced: Diagnostic[];
  /** The head's policy tests; null when the head does not load. */
  tests: { passed: number; failed: CaseResult[] } | null;
  /** Policies of the head not in the base, and of the base not in the head, by name. */
  policies: { added: string[]; removed: string[] };
}

function revisionOf(loaded: LoadedPolicies, fallback: string): string {
  return loaded.result.policySet?.revision ?? fallback;
}

function errorsOf(loaded: LoadedPolicies): Diagnostic[] {
  return loaded.result.diagnostics.filter((d) => d.severity === 'error');
}

function names(loaded: LoadedPolicies): Set<string> {
  return new Set(loaded.result.policies.map((p) => p.value?.metadata?.name).filter((n): n is string => typeof n === 'string'));
}

export async function runDiff(dir: string, flags: DiffFlags, io: Io): Promise<DiffReport> {
  const payloads: TimedPayload[] = readTimedAlerts(flags.alerts, flags, io.cwd);
  const pair = await loadPair(dir, io.cwd, flags.base, flags.head);
  const options = { now: Date.now(), dryRun: flags.dryRun ?? false };
  // Each side with its own guard ledger and the same times: the alerts meet fresh guards twice.
  const run = async (loaded: LoadedPolicies) => (loaded.result.policySet ? simulate(loaded.result.policySet, payloads, options) : null);
  const base = await run(pair.base);
  const head = await run(pair.head);
  const alerts = payloads.flatMap((p) => p.payload.alerts);
  const headSet = pair.head.result.policySet;
  const results = headSet ? await runTests(headSet, pair.head.result.tests, pair.head.readFile) : null;
  const before = names(pair.base);
  const after = names(pair.head);
  return {
    base: { label: flags.base, revision: revisionOf(pair.base, flags.base), simulation: base, errors: errorsOf(pair.base), diagnostics: pair.base.result.diagnostics },
    head: { label: flags.head ?? 'working tree', revision: revisionOf(pair.head, flags.head ?? 'working tree'), simulation: head, errors: errorsOf(pair.head), diagnostics: pair.head.result.diagnostics },
    alerts: alerts.length,
    changes: head ? diffSimulations(alerts, base, head) : [],
    introduced: introducedProblems(pair.base.result.diagnostics, pair.head.result.diagnostics),
    tests: results ? { passed: results.filter((r) => r.passed).length, failed: results.filter((r) => !r.passed) } : null,
    policies: { added: [...after].filter((n) => !before.has(n)).sort(), removed: [...before].filter((n) => !after.has(n)).sort() },
  };
}

/** What decides the exit code: the head must lint and pass its tests. */
export function headFails(report: DiffReport): boolean {
  return report.head.simulation === null || (report.tests?.failed.length ?? 0) > 0;
}

export function jsonDiff(report: DiffReport): object {
  const side = (s: DiffSide) => ({ label: s.label, ok: s.simulation !== null, ...(s.simulation ? jsonSimulation(s.simulation) : { revision: s.revision }), problems: s.errors });
  return {
    changed: report.changes.length > 0,
    alerts: report.alerts,
    base: side(report.base),
    head: side(report.head),
    changes: report.changes,
    policies: report.policies,
    lint: { ok: report.head.simulation !== null, introduced: report.introduced },
    tests: report.tests ? { ok: report.tests.failed.length === 0, passed: report.tests.passed, failed: report.tests.failed.length, failures: report.tests.failed } : null,
  };
}

export async function diffCommand(dir: string, flags: DiffFlags, format: string, io: Io): Promise<number> {
  const report = await runDiff(dir, flags, io);
  if (format === 'json') io.stdout(JSON.stringify(jsonDiff(report), null, 2) + '\n');
  else if (format === 'markdown') io.stdout(diffMarkdown(report));
  else io.stdout(diffText(report));
  if (headFails(report)) return EXIT.problems;
  return flags.failOnChange && report.changes.length > 0 ? EXIT.problems : EXIT.ok;
}
