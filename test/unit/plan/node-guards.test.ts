/**
 * The node guards as decide() runs them, pure: minHealthy over a reading of node health
 * (healthy, needed, which actions hold the budget), and protected targets (patterns, nodes
 * the cluster protects), each with the reason a user reads in the audit and in simulate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../engine/alerts/payload.js';
import { decide } from '../../../engine/plan/decide.js';
import type { Decision } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import type { GuardFacts, HealthNode, ProtectedNode } from '../../../engine/plan/node-guards.js';
import { byAlias } from '../../../engine/plan/node-guards.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import type { PolicySet } from '../../../engine/policy/types.js';
import { inlineAlert } from '../../helpers/alerts.js';
import { runTests } from '../../../engine/testing/run-tests.js';
import { packageRoot } from '../../../engine/util/package-root.js';
import { loadInline, policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const FIXTURES = join(packageRoot(), 'test', 'fixtures');
const MINUTE = 60_000;

const reboot = readFileSync(join(FIXTURES, 'node-guards', 'reboot-node.yaml'), 'utf8');

function health(healthy: number, unhealthy: string[] = []): GuardFacts['health'] {
  const nodes: HealthNode[] = [];
  for (let i = 1; i <= healthy + unhealthy.length; i++) nodes.push({ name: `node-${i}`, healthy: !unhealthy.includes(`node-${i}`), aliases: [`node-${i}`, `10.0.0.${i}`] });
  return { ok: true, value: { source: 'a test', nodes, byAlias: byAlias(nodes) } };
}

async function decideAll(set: PolicySet, nodes: string[], facts: GuardFacts, ledger = new IndexedLedger(), at = NOW): Promise<Decision[]> {
  const evaluator = new Evaluator(set);
  const out: Decision[] = [];
  for (const node of nodes) {
    const alert: Alert = inlineAlert({ labels: { alertname: 'NodeHung', node } });
    out.push(...decide(set, alert, await evaluator.evaluate(alert), { now: at, dryRun: false, ledger, facts }));
  }
  return out;
}

describe('min-healthy', () => {
  const set = policySet(reboot, { settings: settingsYaml('minHealthy: { nodes: 70%, source: { inventory: { path: inventory/hosts.ini } } }') });

  it('lets three of ten nodes be rebooted at 70%, and refuses the fourth saying why', async () => {
    const decisions = await decideAll(set, ['node-1', 'node-2', 'node-3', 'node-4'], { health: health(10) });
    expect(decisions.map((d) => d.verdict)).toEqual(['run', 'run', 'run', 'refused']);
    expect(decisions[3]).toMatchObject({
      refusedBy: 'min-healthy',
      reason: 'min-healthy: 10 of 10 nodes healthy (a test), 7 must stay healthy (minHealthy 70%); with reboot-node on node-4 only 6 would stay healthy; the budget is held by reboot-node on node-1 (decided just now), reboot-node on node-2 (decided just now), reboot-node on node-3 (decided just now)',
    });
  });

  it('frees the budget once the window has passed, and counts queued or running actions whatever their age', async () => {
    const ledger = new IndexedLedger();
    await decideAll(set, ['node-1', 'node-2', 'node-3'], { health: health(10) }, ledger, NOW);
    const later = NOW + 31 * MINUTE;
    expect((await decideAll(set, ['node-4'], { health: health(10) }, ledger, later))[0]!.verdict).toBe('run');
    const running = { health: health(10), underAction: ['node-5', 'node-6', 'node-7'].map((target) => ({ policy: 'reboot-node', action: 'reboot', target, state: 'running' as const })) };
    const [refused] = await decideAll(set, ['node-8'], running, ledger, later);
    expect(refused!.reason).toContain('the budget is held by reboot-node/reboot on node-5 (running), reboot-node/reboot on node-6 (running), reboot-node/reboot on node-7 (running), reboot-node on node-4 (decided just now)');
  });

  it('does not count twice a node the source already counts unhealthy', async () => {
    // node-3 is down already (a reboot under way shows as not Ready): 9 healthy, 7 needed.
    const decisions = await decideAll(set, ['node-3', 'node-1', 'node-2'], { health: health(9, ['node-3']) });
    expect(decisions.map((d) => d.verdict)).toEqual(['run', 'run', 'run']);
    const [fourth] = await decideAll(set, ['node-4'], { health: health(9, ['node-3']) }, (() => {
      const l = new IndexedLedger();
      for (const target of ['node-3', 'node-1', 'node-2']) l.record({ policy: 'reboot-node', phase: 'actions', target, disruptive: true, node: true, at: NOW });
      return l;
    })());
    expect(fourth).toMatchObject({ verdict: 'refused', refusedBy: 'min-healthy' });
    expect(fourth!.reason).toContain('9 of 10 nodes healthy');
    expect(fourth!.reason).not.toContain('on node-3');
  });

  it('takes an integer as a count of nodes', async () => {
    const counted = policySet(reboot, { settings: settingsYaml('minHealthy: { nodes: 9, source: { inventory: { path: inventory/hosts.ini } } }') });
    expect((await decideAll(counted, ['node-1', 'node-2'], { health: health(10) })).map((d) => d.verdict)).toEqual(['run', 'refused']);
  });

  it('fails closed when the source could not be read, and is not final', async () => {
    const ledger = new IndexedLedger();
    const [d] = await decideAll(set, ['node-1'], { health: { ok: false, reason: 'cannot read node health: Prometheus 127.0.0.1:9: connection refused' } }, ledger);
    expect(d).toMatchObject({ verdict: 'refused', refusedBy: 'min-healthy', reason: 'min-healthy: cannot read node health: Prometheus 127.0.0.1:9: connection refused; node-disruptive actions are refused until it can be read (fails closed)' });
    // decided again when re-sent, once the source answers
    expect((await decideAll(set, ['node-1'], { health: health(10) }, ledger))[0]!.verdict).toBe('run');
  });

  it('leaves actions that do not disrupt a node alone, and needs no reading for them', async () => {
    const restart = policySet(policyYaml('restart', `
      match: { alertname: NodeHung }
      target: '{{ labels.node }}'
      actions: [{ name: restart, script: { path: scripts/restart.sh } }]
    `), { settings: settingsYaml('minHealthy: { nodes: 100% }') });
    expect((await decideAll(restart, ['node-1'], {}))[0]!.verdict).toBe('run');
  });

  it('counts a kubernetes cordon without a mark, placing it by its node address', async () => {
    // No target template: the target is the alert's fingerprint; the node address places it.
    const cordon = policySet(policyYaml('cordon', `
      match: { alertname: NodeHung }
      actions: [{ name: cordon, kubernetes: { cordon: { node: { address: '10.0.0.{{ labels.node | remove: "node-" }}' } } } }]
      guards: { cooldown: 0s }
    `), { settings: settingsYaml('minHealthy: { nodes: 2 }') });
    // Four nodes, node-4 already cordoned (unhealthy): cordoning it again takes nothing, then one more may go.
    const decisions = await decideAll(cordon, ['node-4', 'node-1', 'node-2'], { health: health(3, ['node-4']) });
    expect(decisions.map((d) => d.verdict)).toEqual(['run', 'run', 'refused']);
    expect(decisions[2]!.reason).toContain(`3 of 4 nodes healthy (a test), 2 must stay healthy (minHealthy 2); with cordon on ${decisions[2]!.target} only 1 would stay healthy; the budget is held by cordon on ${decisions[1]!.target} (decided just now)`);
  });
});

describe('protected', () => {
  const settings = settingsYaml(`
    protected:
      targets: ['db-*', { regex: 'etcd-[0-9]+' }]
  `);
  const any = policySet(policyYaml('act', `
    match: { alertname: NodeHung }
    target: '{{ labels.node }}'
    actions:
      - name: fix
        script: { path: scripts/fix.sh }
      - name: tell
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'x' }
  `), { settings });

  it('refuses a target matching a glob or an RE2 pattern, with the pattern in the reason', async () => {
    const decisions = await decideAll(any, ['db-1', 'etcd-3', 'web-1', 'etcd-x'], {});
    expect(decisions.map((d) => `${d.target} ${d.action} ${d.verdict}`)).toEqual([
      'db-1 fix refused', 'db-1 tell refused', 'etcd-3 fix refused', 'etcd-3 tell refused',
      'web-1 fix run', 'web-1 tell run', 'etcd-x fix run', 'etcd-x tell run',
    ]);
    expect(decisions[0]).toMatchObject({ refusedBy: 'protected', reason: "protected: db-1 matches protected target 'db-*' of homeostat.yaml" });
    expect(decisions[2]!.reason).toBe("protected: etcd-3 matches protected target 'regex etcd-[0-9]+' of homeostat.yaml");
  });

  it('cannot be slipped past with a newline in the target', async () => {
    const [d] = await decideAll(any, ['db-1\nweb-1'], {});
    expect(d!.refusedBy).toBe('protected');
  });

  it('refuses a node the cluster protects, by name or address; notifications alone are never refused', async () => {
    const cp: ProtectedNode = { name: 'cp-1', aliases: ['cp-1', '10.0.0.100'], why: 'is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false' };
    const facts: GuardFacts = { protectedNodes: { ok: true, value: byAlias([cp]) } };
    const decisions = await decideAll(any, ['10.0.0.100'], facts);
    expect(decisions[0]).toMatchObject({ verdict: 'refused', refusedBy: 'protected', reason: 'protected: 10.0.0.100 is node cp-1, which is a control-plane node (label node-role.kubernetes.io/control-plane); homeostat.yaml kubernetes.allowControlPlane is false' });
    const tellOnly = policySet(policyYaml('tell', `
      match: { alertname: NodeHung }
      target: '{{ labels.node }}'
      actions: [{ name: tell, slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'x' } }]
    `), { settings });
    expect((await decideAll(tellOnly, ['db-1', 'cp-1'], facts)).map((d) => d.verdict)).toEqual(['run', 'run']);
  });

  it('fails closed on a selector whose nodes could not be read', async () => {
    const selected = policySet(policyYaml('act', `
      match: { alertname: NodeHung }
      target: '{{ labels.node }}'
      actions: [{ name: fix, script: { path: scripts/fix.sh } }]
    `), { settings: settingsYaml("protected: { selector: 'role in (db,etcd)' }") });
    const [d] = await decideAll(selected, ['web-1'], { protectedNodes: { ok: false, reason: 'simulate reads the nodes of a cluster only with --kubeconfig' } });
    expect(d).toMatchObject({ refusedBy: 'protected', reason: "protected: the nodes of protected.selector 'role in (db,etcd)' cannot be known: simulate reads the nodes of a cluster only with --kubeconfig; actions that change a system are refused (fails closed)" });
  });
});

describe('policy tests (homeostat test, and the tests a revision must pass to be activated)', () => {
  it('read no fleet: minHealthy and a protected.selector pass, protected patterns still refuse', async () => {
    const test = `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: reboots }
spec:
  cases:
    - name: a hung node is rebooted
      alerts: [{ labels: { alertname: NodeHung, node: node-1 } }]
      expect: [{ policy: reboot-node, action: reboot, target: node-1, verdict: run }]
    - name: a database is not
      alerts: [{ labels: { alertname: NodeHung, node: db-1 } }]
      expect: [{ policy: reboot-node, action: reboot, target: db-1, verdict: refused, reason: "matches protected target 'db-*'" }]
`;
    const result = loadInline([reboot, test], { settings: settingsYaml("minHealthy: { nodes: 100% }\nprotected: { selector: 'role=db', targets: ['db-*'] }") });
    expect(result.diagnostics).toEqual([]);
    const results = await runTests(result.policySet!, result.tests, () => '');
    expect(results.map((r) => [r.name, r.passed, r.unexpected.map((d) => d.reason)])).toEqual([['a hung node is rebooted', true, []], ['a database is not', true, []]]);
  });
});

describe('lint', () => {
  it('reports a bad selector, an unsafe regex, a missing inventory and disruptsNode on a notification, each at its place', () => {
    const result = loadInline(policyYaml('tell', `
      match: { alertname: X }
      actions:
        - name: tell
          disruptsNode: true
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: x }
    `), {
      settings: settingsYaml(`
        minHealthy:
          nodes: 70%
          source: { inventory: { path: inventory/nodes.ini } }
        protected:
          selector: 'role in (db'
          targets: [{ regex: '(a)\\1' }]
      `),
      exists: (path) => path !== 'inventory/nodes.ini',
    });
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code}`)).toEqual([
      'homeostat.yaml:6:34 HST_FILE_MISSING',
      'homeostat.yaml:8:15 HST_SELECTOR_INVALID',
      'homeostat.yaml:9:24 HST_REGEX_UNSAFE',
      'rules/p0.yaml:9:21 HST_DISRUPTS_NODE_TYPE',
    ]);
  });

  it('takes minHealthy as an integer or a percentage, and nothing else', () => {
    const of = (nodes: string) => loadInline(policyYaml('p', 'match: { alertname: X }\nactions: [{ name: a, script: { path: s.sh } }]'), { settings: settingsYaml(`minHealthy: { nodes: ${nodes} }`) }).diagnostics.map((d) => d.code);
    expect(of('7')).toEqual([]);
    expect(of('70%')).toEqual([]);
    expect(of('170%')).toEqual(['HST_SCHEMA_PATTERN']);
    expect(of('-1')).toEqual(['HST_SCHEMA_RANGE']);
    expect(of('7.5')).toEqual(['HST_SCHEMA_TYPE']);
  });
});
