/**
 * The cost of the node guards per decision (`npm run build && node bench/node-guards.mjs`):
 * decide() of one reboot policy marked disruptsNode, on one core, with the ledger holding
 * 10,000 tracked targets (decided within minHealthy's window, 400 of them node-disruptive)
 * and a health reading of 1,000 nodes, against the same decisions with neither minHealthy nor
 * protected targets in homeostat.yaml (minHealthy 50%: the 400 nodes held and 100 more may be
 * rebooted, so the alerts on those 500 nodes run and those on the other 500 are refused);
 * the facts are given (read once before the decisions, as the engine does), so these figures
 * are the pure guards' own, not a read of the Kubernetes API or Prometheus.
 * A benchmark, not a test: it prints figures and exits 0.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, line, loadText, machineBusy } from './stats.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = (path) => import(pathToFileURL(join(ROOT, 'dist/engine', path)).href);
const { loadRepository } = await load('load/repository.js');
const { decide } = await load('plan/decide.js');
const { IndexedLedger } = await load('plan/ledger.js');
const { byAlias } = await load('plan/node-guards.js');
const { Evaluator } = await load('policy/evaluate.js');
const { splitPayload } = await load('alerts/payload.js');

const TRACKED = 10_000;
const NODES = 1_000;
const DECISIONS = 20_000;
const NOW = Date.parse('2026-11-23T12:00:00Z');

const POLICY = readFileSync(join(ROOT, 'test/fixtures/node-guards/reboot-node.yaml'), 'utf8');
const GUARDED = `apiVersion: homeostat/v1
kind: Settings
spec:
  blastRadius: { max: 1000000, per: 10m }
  minHealthy: { nodes: 50%, source: { inventory: { path: inventory/hosts.ini } } }
  protected: { targets: ['db-*', { regex: 'etcd-[0-9]+' }, 'cp-?'] }
`;
const PLAIN = `apiVersion: homeostat/v1
kind: Settings
spec:
  blastRadius: { max: 1000000, per: 10m }
`;

function setOf(settings) {
  const result = loadRepository({ files: [{ path: 'homeostat.yaml', text: settings }, { path: 'rules/reboot.yaml', text: POLICY }], exists: () => true, revision: 'bench' });
  if (!result.policySet) throw new Error(JSON.stringify(result.diagnostics));
  return result.policySet;
}

/** 10,000 targets decided for within the window; every 25th a node of the 1,000 taken out of service. */
function ledgerWithTracked() {
  const ledger = new IndexedLedger(() => NOW);
  for (let i = 0; i < TRACKED; i++) {
    const node = i % 25 === 0;
    ledger.record({ policy: node ? 'reboot-node' : 'restart', phase: 'actions', target: node ? `node-${i / 25}` : `host-${i}`, disruptive: true, ...(node ? { node: true } : {}), at: NOW - 20 * 60_000 + i });
  }
  return ledger;
}

const nodes = Array.from({ length: NODES }, (_, i) => ({ name: `node-${i}`, healthy: true, aliases: [`node-${i}`] }));
const facts = { health: { ok: true, value: { source: 'bench', nodes, byAlias: byAlias(nodes) } }, underAction: [] };

const split = splitPayload({
  version: '4', status: 'firing', receiver: 'r', groupKey: 'g', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am',
  alerts: Array.from({ length: DECISIONS }, (_, i) => ({ status: 'firing', labels: { alertname: 'NodeHung', node: `node-${i % NODES}`, i: String(i) }, annotations: {}, startsAt: '2026-11-23T11:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: i.toString(16).padStart(16, '0') })),
});
if (!split.ok) throw new Error(JSON.stringify(split.problems));
const alerts = split.payload.alerts;

async function run(settings, withFacts) {
  const set = setOf(settings);
  const evaluator = new Evaluator(set);
  const matches = [];
  for (const alert of alerts) matches.push(await evaluator.evaluate(alert));
  const ledger = ledgerWithTracked();
  const verdicts = new Map();
  const start = process.hrtime.bigint();
  for (let i = 0; i < alerts.length; i++) {
    for (const d of decide(set, alerts[i], matches[i], { now: NOW, dryRun: false, ledger, facts: withFacts ? facts : undefined })) {
      const key = d.refusedBy ?? d.verdict;
      verdicts.set(key, (verdicts.get(key) ?? 0) + 1);
    }
  }
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / alerts.length;
  return { micros, verdicts: Object.fromEntries(verdicts) };
}

const plain = await run(PLAIN, false);
const guarded = await run(GUARDED, true);
console.log(`node guards: ${fmt(DECISIONS)} decisions of one reboot policy, ${fmt(TRACKED)} tracked targets (${fmt(TRACKED / 25)} of them node-disruptive within the window), ${fmt(NODES)} nodes; load ${loadText()}${machineBusy() ? ' (machine busy: figures inflated)' : ''}`);
console.log(line('decide() without minHealthy and protected, per decision', `${fmt(plain.micros, 1)} µs`));
console.log(line('decide() with minHealthy and protected, per decision', `${fmt(guarded.micros, 1)} µs`));
console.log(`  verdicts without: ${JSON.stringify(plain.verdicts)}; with: ${JSON.stringify(guarded.verdicts)}`);
