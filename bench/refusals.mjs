/**
 * What a refusal costs: the captured 500-alert storm (../shared/fixtures) decided by the
 * engine's intake (evaluate → decide → guards → audit entries) with one policy matching every
 * alert, in one run each way: every action let through (no guard refuses), refused by the blast
 * radius after 20, refused by the open storm breaker, refused by a cooldown on every target.
 * Prints the time per decision and what the audit is given (entries, bytes). A benchmark: it
 * exits 0 whatever the times, 1 only when the setup is wrong.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, line, median } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.HOMEOSTAT_BENCH_RUNS ?? 15);
const STORM = join(ROOT, '..', 'shared', 'fixtures', 'alertmanager', 'storm-repeat-500.json');

const { loadRepository } = await import(join(ROOT, 'dist/engine/load/repository.js'));
const { splitPayload } = await import(join(ROOT, 'dist/engine/alerts/payload.js'));
const { Evaluator } = await import(join(ROOT, 'dist/engine/policy/evaluate.js'));
const { evaluateAll } = await import(join(ROOT, 'dist/engine/pipeline/simulate.js'));
const { decidePayload } = await import(join(ROOT, 'dist/engine/runtime/intake.js'));
const { IndexedLedger } = await import(join(ROOT, 'dist/engine/plan/ledger.js'));
const { StormBreaker } = await import(join(ROOT, 'dist/engine/breaker/breaker.js'));

const NOW = Date.parse('2026-11-21T08:00:00Z');
const out = (text = '') => process.stdout.write(text + '\n');

function policySet(settings, cooldown) {
  const files = [
    { path: 'homeostat.yaml', text: `apiVersion: homeostat/v1\nkind: Settings\nspec:\n${settings}` },
    { path: 'scripts/restart.sh', text: '#!/bin/sh\n' },
    { path: 'rules/restart.yaml', text: `apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: restart-node }\nspec:\n  match: { alertname: InstanceDown }\n  target: '{{ labels.instance | host }}'\n  actions:\n    - name: restart\n      script: { path: scripts/restart.sh, args: ['{{ target }}'] }\n  guards: { cooldown: ${cooldown} }\n` },
  ];
  const result = loadRepository({ files, exists: () => true, revision: 'bench' });
  if (!result.policySet) throw new Error(`the bench repository does not load: ${JSON.stringify(result.diagnostics[0])}`);
  return result.policySet;
}

const breakerSettings = `  stormBreaker:\n    alerts: 100\n    per: 5m\n    quietFor: 10m\n    notify: { http: { url: 'https://hooks.example/storm' } }\n`;
const CASES = [
  { name: 'no guard refuses (all run)', set: policySet('  blastRadius: { max: 100000, per: 10m }\n', '0s'), refusedBy: null },
  { name: 'blast radius refuses after 20', set: policySet('  blastRadius: { max: 20, per: 10m }\n', '0s'), refusedBy: 'blast-radius' },
  { name: 'storm breaker open', set: policySet(`  blastRadius: { max: 20, per: 10m }\n${breakerSettings}`, '0s'), refusedBy: 'storm', storm: true },
  { name: 'cooldown on every target', set: policySet('  blastRadius: { max: 100000, per: 10m }\n', '1h'), refusedBy: 'cooldown', warm: true },
];

const split = splitPayload(JSON.parse(readFileSync(STORM, 'utf8')));
if (!split.ok) throw new Error('the storm fixture does not parse');
const { payload } = split;

out(`refusals: the 500-alert storm through the intake, ${RUNS} runs each, median`);
let wrong = false;
for (const c of CASES) {
  const matches = await evaluateAll(new Evaluator(c.set), payload.alerts);
  const times = [];
  let result = null;
  for (let run = 0; run < RUNS; run++) {
    const ledger = new IndexedLedger(() => NOW);
    if (c.warm) for (const alert of payload.alerts) ledger.record({ policy: 'restart-node', phase: 'actions', target: alert.labels.instance.split(':')[0], disruptive: true, at: NOW - 60_000 });
    let storm = null;
    if (c.storm) {
      const breaker = new StormBreaker(null, () => 'bench');
      breaker.observe(payload.alerts, c.set.settings.stormBreaker, NOW);
      storm = breaker.watch(c.set.settings.stormBreaker, NOW);
    }
    const started = process.hrtime.bigint();
    result = await decidePayload(c.set, payload, matches, { now: NOW, dryRun: true, ledger, secrets: [], storm });
    times.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  const refused = result.entries.reduce((n, e) => n + (e.kind === 'refusals' ? e.count : e.outcome === 'refused' ? 1 : 0), 0);
  const bytes = result.entries.reduce((n, e) => n + JSON.stringify(e).length, 0);
  if (c.refusedBy && refused === 0) wrong = true;
  out(line(`${c.name}: per decision`, `${fmt(median(times) / result.decisions, 1)} µs`));
  out(line(`  ${fmt(result.jobs.length)} run, ${fmt(refused)} refused; audit entries`, `${fmt(result.entries.length)} (${fmt(bytes / 1024)} KB)`));
}
process.exit(wrong ? 1 : 0);
