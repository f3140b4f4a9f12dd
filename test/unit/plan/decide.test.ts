import { describe, it, expect } from 'vitest';
import type { Alert } from '../../../engine/alerts/payload.js';
import type { InlineAlert } from '../../../engine/generated/schema-types.js';
import { simulate } from '../../../engine/pipeline/simulate.js';
import { decide, ranKey } from '../../../engine/plan/decide.js';
import type { Decision } from '../../../engine/plan/decide.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { Evaluator } from '../../../engine/policy/evaluate.js';
import type { PolicySet } from '../../../engine/policy/types.js';
import { fixturePayload, inlineAlert, START } from '../../helpers/alerts.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z'); // a Monday
const MINUTE = 60_000;

interface Step {
  alert: Alert;
  at?: number;
}

/** Evaluates and decides alerts in order, sharing one ledger, as the engine does. */
async function plan(set: PolicySet, steps: readonly (Alert | Step)[], options: { ledger?: IndexedLedger; dryRun?: boolean } = {}): Promise<Decision[]> {
  const evaluator = new Evaluator(set);
  const ledger = options.ledger ?? new IndexedLedger();
  const decisions: Decision[] = [];
  for (const step of steps) {
    const { alert, at = NOW } = 'fingerprint' in step ? { alert: step } : step;
    decisions.push(...decide(set, alert, await evaluator.evaluate(alert), { now: at, dryRun: options.dryRun ?? false, ledger }));
  }
  return decisions;
}

/** What a user reads of a decision in `simulate`. */
function brief(d: Decision): Pick<Decision, 'policy' | 'action' | 'target' | 'verdict' | 'refusedBy' | 'reason'> {
  return { policy: d.policy, action: d.action, target: d.target, verdict: d.verdict, refusedBy: d.refusedBy, reason: d.reason };
}

function alert(labels: Record<string, string>, extra: Omit<InlineAlert, 'labels'> = {}): Alert {
  return inlineAlert({ labels, ...extra });
}

describe('decide: templates', () => {
  const set = policySet(policyYaml('delete-pod', `
    match: { alertname: PodNotReady }
    target: '{{ labels.namespace }}'
    actions:
      - name: delete-pod
        kubernetes: { deletePod: { namespace: '{{ labels.namespace }}', pod: '{{ labels.pod }}' } }
      - name: say
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'pod not ready in {{ labels.namespace }}' }
  `));

  it('fails an action whose label is missing, naming the label, and still decides the others', async () => {
    const decisions = await plan(set, [alert({ alertname: 'PodNotReady', namespace: 'shop' })]);
    expect(decisions.map(brief)).toEqual([
      { policy: 'delete-pod', action: 'delete-pod', target: 'shop', verdict: 'failed', refusedBy: 'template', reason: "label 'pod' is missing" },
      { policy: 'delete-pod', action: 'say', target: 'shop', verdict: 'run', refusedBy: null, reason: null },
    ]);
    expect(decisions[0]!.params).toBeNull();
    expect(decisions[1]!.params).toEqual({ webhook: { env: 'SLACK_WEBHOOK_URL' }, text: 'pod not ready in shop' });
  });

  it('fails every action when the target misses a label', async () => {
    const decisions = await plan(set, [alert({ alertname: 'PodNotReady', pod: 'cart-5f6d7c8b9-abcde' })]);
    expect(decisions.map(brief)).toEqual([
      { policy: 'delete-pod', action: 'delete-pod', target: null, verdict: 'failed', refusedBy: 'template', reason: "target: label 'namespace' is missing" },
      { policy: 'delete-pod', action: 'say', target: null, verdict: 'failed', refusedBy: 'template', reason: "target: label 'namespace' is missing" },
    ]);
  });

  it('renders the parameters and says what a dry run would do', async () => {
    const [decision] = await plan(set, [alert({ alertname: 'PodNotReady', namespace: 'shop', pod: 'cart-5f6d7c8b9-abcde' })]);
    expect(decision).toMatchObject({
      alert: { alertname: 'PodNotReady', status: 'firing', startsAt: START },
      type: 'kubernetes',
      phase: 'actions',
      params: { deletePod: { namespace: 'shop', pod: 'cart-5f6d7c8b9-abcde' } },
      description: 'deletePod pod shop/cart-5f6d7c8b9-abcde',
      verdict: 'run',
      revision: 'test-revision',
    });
  });
});

describe('decide: values that would be read as something else are refused', () => {
  const withLimit = policySet(policyYaml('restart-unit', `
    match: { alertname: ServiceDown }
    target: '{{ labels.host }}'
    actions:
      - name: restart
        ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}', extraVars: { service: '{{ labels.name }}' } }
  `));
  const targetOnly = policySet(policyYaml('restart-unit', `
    match: { alertname: ServiceDown }
    target: '{{ labels.host }}'
    actions:
      - name: restart
        ansible: { playbook: playbooks/restart_service.yml }
  `));
  const down = (host: string) => alert({ alertname: 'ServiceDown', host, name: 'nginx.service' });

  it.each(['all', 'ALL', 'ungrouped', 'web-*', 'web-?', 'a,b', '!web', 'a:b', 'a&b', 'web[1:3]', '~web.*', 'web 1'])(
    'refuses the host pattern %j as an ansible limit and as the target',
    async (host) => {
      const [limited] = await plan(withLimit, [down(host)]);
      expect(brief(limited!)).toEqual({ policy: 'restart-unit', action: 'restart', target: host, verdict: 'refused', refusedBy: 'params', reason: `limit '${host}' is an Ansible host pattern, not one host` });
      const [targeted] = await plan(targetOnly, [down(host)]);
      expect(targeted!.reason).toBe(`target '${host}' is an Ansible host pattern, not one host`);
      expect(targeted!.verdict).toBe('refused');
    },
  );

  it('refuses a host that would be read as an option, and an empty one', async () => {
    expect((await plan(withLimit, [down('-x')]))[0]!.reason).toBe("limit '-x' starts with '-' and would be read as an option");
    expect((await plan(targetOnly, [down('--check')]))[0]!.reason).toBe("target '--check' starts with '-' and would be read as an option");
    expect((await plan(withLimit, [down('')]))[0]!.reason).toBe('limit is empty');
  });

  it('runs against one plain host', async () => {
    const [decision] = await plan(withLimit, [down('web-1.example.com')]);
    expect(decision).toMatchObject({
      verdict: 'run',
      target: 'web-1.example.com',
      params: { playbook: 'playbooks/restart_service.yml', limit: 'web-1.example.com', extraVars: { service: 'nginx.service' } },
      description: 'ansible-playbook --inventory=web-1.example.com, --limit=web-1.example.com --extra-vars=@extra-vars.yml playbooks/restart_service.yml',
    });
  });

  const script = policySet(policyYaml('fix-unit', `
    match: { alertname: ServiceDown }
    target: '{{ labels.host }}'
    actions:
      - name: fix
        script: { path: scripts/fix-unit.sh, args: ['--force', '{{ labels.name }}'], env: { UNIT: '{{ labels.name }}' } }
  `));

  it('refuses a script argument from a label that would be read as an option', async () => {
    const [decision] = await plan(script, [alert({ alertname: 'ServiceDown', host: 'web-1', name: '-rf' })]);
    expect(brief(decision!)).toEqual({
      policy: 'fix-unit', action: 'fix', target: 'web-1', verdict: 'refused', refusedBy: 'params',
      reason: "args[1] '-rf' comes from the alert and starts with '-'; it would be read as an option",
    });
  });

  it('allows an option written literally in the policy', async () => {
    const [decision] = await plan(script, [alert({ alertname: 'ServiceDown', host: 'web-1', name: 'nginx.service' })]);
    expect(decision).toMatchObject({
      verdict: 'run',
      params: { path: 'scripts/fix-unit.sh', args: ['--force', 'nginx.service'], env: { UNIT: 'nginx.service' } },
      description: 'run scripts/fix-unit.sh "--force" "nginx.service"',
    });
  });

  it('allows an option the policy writes before a label value (--unit={{ labels.name }})', async () => {
    const set = policySet(policyYaml('fix-unit', `
      match: { alertname: ServiceDown }
      actions:
        - name: fix
          script: { path: scripts/fix-unit.sh, args: ['--unit={{ labels.name }}'] }
    `));
    const [ok] = await plan(set, [alert({ alertname: 'ServiceDown', name: 'nginx.service' })]);
    expect(brief(ok!)).toMatchObject({ verdict: 'run', reason: null });
    expect(ok!.params).toEqual({ path: 'scripts/fix-unit.sh', args: ['--unit=nginx.service'] });
  });

  const k8s = policySet(policyYaml('delete-pod', `
    match: { alertname: PodNotReady }
    target: '{{ labels.pod }}'
    actions:
      - name: delete-pod
        kubernetes: { deletePod: { namespace: '{{ labels.namespace }}', pod: '{{ labels.pod }}' } }
  `));

  it.each([
    ['shop', 'cart;rm -rf', "pod 'cart;rm -rf' is not a valid Kubernetes name"],
    ['shop', '-cart', "pod '-cart' is not a valid Kubernetes name"],
    ['shop', 'Cart-1', "pod 'Cart-1' is not a valid Kubernetes name"],
    ['shop', '', "pod '' is not a valid Kubernetes name"],
    ['shop', 'a'.repeat(254), `pod '${'a'.repeat(254)}' is not a valid Kubernetes name`],
    ['Shop', 'cart-1', "namespace 'Shop' is not a valid Kubernetes namespace"],
    ['shop.eu', 'cart-1', "namespace 'shop.eu' is not a valid Kubernetes namespace"],
    ['s'.repeat(64), 'cart-1', `namespace '${'s'.repeat(64)}' is not a valid Kubernetes namespace`],
  ])('refuses namespace %j pod %j', async (namespace, pod, reason) => {
    const [decision] = await plan(k8s, [alert({ alertname: 'PodNotReady', namespace, pod })]);
    expect(decision).toMatchObject({ verdict: 'refused', refusedBy: 'params', reason });
  });

  it('accepts Kubernetes names at their limits', async () => {
    const pod = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(pod).toHaveLength(253);
    const [decision] = await plan(k8s, [alert({ alertname: 'PodNotReady', namespace: 's'.repeat(63), pod })]);
    expect(decision).toMatchObject({ verdict: 'run', reason: null });
  });

  it('validates node names of node operations', async () => {
    const set = policySet(policyYaml('cordon', `
      match: { alertname: NodeHighCPU }
      target: '{{ labels.node }}'
      actions:
        - name: cordon
          kubernetes: { cordon: { node: '{{ labels.node }}' } }
    `));
    const decisions = await plan(set, [
      alert({ alertname: 'NodeHighCPU', node: 'ip-10-0-3-21.eu-west-1.compute.internal' }),
      alert({ alertname: 'NodeHighCPU', node: 'Node_1' }),
    ]);
    expect(decisions.map((d) => [d.verdict, d.reason, d.description])).toEqual([
      ['run', null, 'cordon node/ip-10-0-3-21.eu-west-1.compute.internal'],
      ['refused', "node 'Node_1' is not a valid Kubernetes name", null],
    ]);
  });
});

describe('decide: guards', () => {
  it('cooldown: holds a second action on the same target, per policy and target', async () => {
    const set = policySet(policyYaml('restart-unit', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance | host }}'
      actions:
        - name: restart
          ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}' }
          timeout: 1m
      guards: { cooldown: 15m }
    `));
    const down = (instance: string, name: string) => alert({ alertname: 'ServiceDown', instance, name });
    const decisions = await plan(set, [
      { alert: down('web-1:9100', 'a.service'), at: NOW },
      { alert: down('web-1:9100', 'b.service'), at: NOW + 5 * MINUTE },
      { alert: down('web-2:9100', 'b.service'), at: NOW + 5 * MINUTE },
      { alert: down('web-1:9100', 'c.service'), at: NOW + 15 * MINUTE },
    ]);
    expect(decisions.map((d) => [d.target, d.verdict, d.refusedBy, d.reason])).toEqual([
      ['web-1', 'run', null, null],
      ['web-1', 'refused', 'cooldown', 'cooldown: restart-unit decided an action for web-1 5m ago (cooldown 15m, until 2026-11-23T12:15:00.000Z)'],
      ['web-2', 'run', null, null],
      ['web-1', 'run', null, null],
    ]);
  });

  it('rateLimit: counts the actions of a policy in its period', async () => {
    const set = policySet(policyYaml('restart-unit', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance }}'
      actions:
        - name: restart
          ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}' }
          timeout: 1m
      guards: { cooldown: 0s, rateLimit: { max: 2, per: 1h } }
    `));
    const down = (instance: string) => alert({ alertname: 'ServiceDown', instance });
    const decisions = await plan(set, [
      { alert: down('web-1'), at: NOW },
      { alert: down('web-2'), at: NOW + MINUTE },
      { alert: down('web-3'), at: NOW + 2 * MINUTE },
      { alert: down('web-4'), at: NOW + 61 * MINUTE },
    ]);
    expect(decisions.map((d) => [d.target, d.verdict, d.refusedBy, d.reason])).toEqual([
      ['web-1', 'run', null, null],
      ['web-2', 'run', null, null],
      ['web-3', 'refused', 'rate-limit', 'rate limit: restart-unit already decided 2 actions in 1h, until 2026-11-23T13:00:00.001Z'],
      ['web-4', 'run', null, null],
    ]);
  });

  it('concurrency does not refuse: a second action on a busy target is planned and waits for the per-target lock', async () => {
    const set = policySet(policyYaml('slow-fix', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance | host }}'
      actions:
        - name: fix
          script: { path: scripts/fix.sh }
          timeout: 10m
      guards: { cooldown: 0s, concurrency: 1 }
    `));
    const down = (name: string) => alert({ alertname: 'ServiceDown', instance: 'web-1:9100', name });
    const decisions = await plan(set, [{ alert: down('a'), at: NOW }, { alert: down('b'), at: NOW + MINUTE }]);
    expect(decisions.map((d) => [d.target, d.verdict, d.refusedBy])).toEqual([
      ['web-1', 'run', null],
      ['web-1', 'run', null],
    ]);
    expect(set.policies[0]!.guards.concurrency).toBe(1);
  });

  it('a guard refusal is not final: the re-sent alert is decided again once the guard passes', async () => {
    const set = policySet(policyYaml('restart-unit', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance | host }}'
      actions:
        - name: restart
          script: { path: scripts/fix.sh }
      guards: { cooldown: 0s, rateLimit: { max: 1, per: 10m } }
    `));
    const first = alert({ alertname: 'ServiceDown', instance: 'web-1:9100', name: 'a' });
    const second = alert({ alertname: 'ServiceDown', instance: 'web-2:9100', name: 'b' });
    const decisions = await plan(set, [
      { alert: first, at: NOW },
      { alert: second, at: NOW + MINUTE },
      { alert: first, at: NOW + 2 * MINUTE },
      { alert: second, at: NOW + 11 * MINUTE },
    ]);
    expect(decisions.map((d) => [d.target, d.verdict, d.refusedBy])).toEqual([
      ['web-1', 'run', null],
      ['web-2', 'refused', 'rate-limit'],
      ['web-1', 'refused', 'duplicate'],
      ['web-2', 'run', null],
    ]);
  });

  it('concurrency: a notification neither holds its target nor waits for it', async () => {
    const set = policySet([
      policyYaml('chat', `
        match: { severity: critical }
        actions:
          - name: say
            slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.alertname }}' }`),
      policyYaml('page', `
        priority: 10
        match: { severity: critical }
        actions:
          - name: page
            pagerduty: { routingKey: { env: PAGERDUTY_ROUTING_KEY }, summary: '{{ labels.alertname }}' }`),
    ]);
    const decisions = await plan(set, fixturePayload('service-down-nginx.json').alerts);
    expect(decisions.map((d) => [d.policy, d.target, d.verdict, d.reason])).toEqual([
      ['chat', '1740887ff3392380', 'run', null],
      ['page', '1740887ff3392380', 'run', null],
    ]);
  });

  describe('blastRadius', () => {
    const settings = settingsYaml(`
      blastRadius: { max: 2, per: 10m }
    `);
    const cordon = policyYaml('cordon-hot', `
      match: { alertname: NodeHighCPU }
      target: '{{ labels.node }}'
      actions:
        - name: cordon
          kubernetes: { cordon: { node: '{{ labels.node }}' } }
      guards: { cooldown: 0s }
    `);
    const announce = policyYaml('announce', `
      priority: 10
      match: { alertname: [NodeHighCPU, Chatty] }
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.alertname }}' }
      guards: { cooldown: 0s }
    `);
    const hot = (node: string) => alert({ alertname: 'NodeHighCPU', node });

    it('stops disruptive actions across all policies beyond the limit; notifications neither count nor stop', async () => {
      const set = policySet([cordon, announce], { settings });
      const chatter = ['a', 'b', 'c'].map((n) => alert({ alertname: 'Chatty', n }));
      const decisions = await plan(set, [...chatter, hot('n1'), hot('n2'), hot('n3'), { alert: hot('n4'), at: NOW + 10 * MINUTE }, { alert: hot('n5'), at: NOW + 11 * MINUTE }]);
      expect(decisions.map((d) => [d.policy, d.target === null ? null : d.alert.alertname, d.verdict, d.reason])).toEqual([
        ['announce', 'Chatty', 'run', null],
        ['announce', 'Chatty', 'run', null],
        ['announce', 'Chatty', 'run', null],
        ['cordon-hot', 'NodeHighCPU', 'run', null],
        ['announce', 'NodeHighCPU', 'run', null],
        ['cordon-hot', 'NodeHighCPU', 'run', null],
        ['announce', 'NodeHighCPU', 'run', null],
        ['cordon-hot', 'NodeHighCPU', 'refused', 'blast radius: 2 disruptive actions in 10m across all policies, until 2026-11-23T12:10:00.001Z'],
        ['announce', 'NodeHighCPU', 'run', null],
        // At 12:10 both actions of 12:00 are still in the window [12:00, 12:10]: a millisecond more.
        ['cordon-hot', 'NodeHighCPU', 'refused', 'blast radius: 2 disruptive actions in 10m across all policies, until 2026-11-23T12:10:00.001Z'],
        ['announce', 'NodeHighCPU', 'run', null],
        ['cordon-hot', 'NodeHighCPU', 'run', null],
        ['announce', 'NodeHighCPU', 'run', null],
      ]);
      expect(decisions.filter((d) => d.verdict === 'refused').every((d) => d.refusedBy === 'blast-radius')).toBe(true);
    });

    it('does not stop or count a notification because the policy uncordons when the alert resolves', async () => {
      const notifyThenUncordon = policyYaml('watch-node', `
        match: { alertname: NodeFlapping }
        actions:
          - name: say
            slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.node }} flaps' }
        onResolved:
          - name: uncordon
            kubernetes: { uncordon: { node: '{{ labels.node }}' } }
        guards: { cooldown: 0s }
      `);
      const set = policySet([cordon, notifyThenUncordon], { settings });
      const flapping = (node: string) => alert({ alertname: 'NodeFlapping', node });
      // Two firing notifications, then two cordons: the budget of 2 is for the cordons alone.
      const first = await plan(set, [flapping('n1'), flapping('n2'), hot('n3'), hot('n4')]);
      expect(first.map((d) => [d.policy, d.action, d.verdict, d.reason])).toEqual([
        ['watch-node', 'say', 'run', null],
        ['watch-node', 'say', 'run', null],
        ['cordon-hot', 'cordon', 'run', null],
        ['cordon-hot', 'cordon', 'run', null],
      ]);
      // With the budget spent, a notification still goes out.
      const ledger = new IndexedLedger();
      const second = await plan(set, [hot('n1'), hot('n2'), flapping('n3')], { ledger });
      expect(second.map((d) => [d.policy, d.action, d.verdict])).toEqual([
        ['cordon-hot', 'cordon', 'run'],
        ['cordon-hot', 'cordon', 'run'],
        ['watch-node', 'say', 'run'],
      ]);
    });
  });

  it('paused (Settings): refuses every new action, notifications included', async () => {
    const set = policySet(
      [
        policyYaml('restart-unit', `
          match: { alertname: ServiceDown }
          target: '{{ labels.instance | host }}'
          actions:
            - name: restart
              ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}' }
            - name: say
              slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'restarting' }
        `),
      ],
      { settings: settingsYaml('paused: true') },
    );
    const decisions = await plan(set, [alert({ alertname: 'ServiceDown', instance: 'web-1:9100' })], { dryRun: true });
    expect(decisions.map(brief)).toEqual([
      { policy: 'restart-unit', action: 'restart', target: 'web-1', verdict: 'refused', refusedBy: 'paused', reason: 'paused: homeostat.yaml sets paused: true' },
      { policy: 'restart-unit', action: 'say', target: 'web-1', verdict: 'refused', refusedBy: 'paused', reason: 'paused: homeostat.yaml sets paused: true' },
    ]);
  });

  it('maintenanceWindows: no action while one is open', async () => {
    const settings = settingsYaml(`
      maintenanceWindows:
        - { start: '2026-11-23T11:00:00Z', end: '2026-11-23T13:00:00Z', reason: kernel upgrades }
        - { start: '2026-11-24T11:00:00Z', end: '2026-11-24T13:00:00Z' }
    `);
    const set = policySet(policyYaml('say', `
      match: { alertname: Chatty }
      actions:
        - name: say
          slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: hi }
    `), { settings });
    const at = async (iso: string) => (await plan(set, [alert({ alertname: 'Chatty' })].map((a) => ({ alert: a, at: Date.parse(iso) }))))[0]!;
    expect(brief(await at('2026-11-23T12:00:00Z'))).toMatchObject({ verdict: 'refused', refusedBy: 'maintenance', reason: 'maintenance window open until 2026-11-23T13:00:00.000Z: kernel upgrades' });
    expect(brief(await at('2026-11-23T11:00:00Z'))).toMatchObject({ verdict: 'refused', refusedBy: 'maintenance' });
    expect(brief(await at('2026-11-24T12:59:59Z'))).toMatchObject({ verdict: 'refused', reason: 'maintenance window open until 2026-11-24T13:00:00.000Z' });
    expect((await at('2026-11-23T10:59:59Z')).verdict).toBe('run');
    expect((await at('2026-11-23T13:00:00Z')).verdict).toBe('run');
  });

  describe('window', () => {
    const windowed = (window: string) => policySet(policyYaml('office-hours', `
      match: { alertname: ServiceDown }
      target: '{{ labels.instance }}'
      actions:
        - name: restart
          ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}' }
      guards: { window: ${window} }
    `));
    const at = async (set: PolicySet, iso: string) => (await plan(set, [{ alert: alert({ alertname: 'ServiceDown', instance: 'web-1' }), at: Date.parse(iso) }]))[0]!;

    it('runs on the days and between the hours given, UTC', async () => {
      const set = windowed("{ days: [mon, tue, wed, thu, fri], between: '06:00-22:00', timezone: UTC }");
      expect((await at(set, '2026-11-23T12:00:00Z')).verdict).toBe('run'); // Monday
      expect((await at(set, '2026-11-23T06:00:00Z')).verdict).toBe('run');
      expect((await at(set, '2026-11-27T21:59:00Z')).verdict).toBe('run'); // Friday
      expect(brief(await at(set, '2026-11-21T12:00:00Z'))).toMatchObject({
        verdict: 'refused', refusedBy: 'window', reason: 'outside the policy window (mon,tue,wed,thu,fri 06:00-22:00 UTC); the window opens at 2026-11-23T06:00:00.000Z',
      }); // Saturday
      expect((await at(set, '2026-11-23T05:59:00Z')).verdict).toBe('refused');
      expect((await at(set, '2026-11-23T22:00:00Z')).verdict).toBe('refused');
    });

    it('reads the hours and the day in the time zone given', async () => {
      const set = windowed("{ days: [mon, tue, wed, thu, fri], between: '09:00-17:00', timezone: America/New_York }");
      expect(brief(await at(set, '2026-11-23T13:30:00Z'))).toMatchObject({
        verdict: 'refused', reason: 'outside the policy window (mon,tue,wed,thu,fri 09:00-17:00 America/New_York); the window opens at 2026-11-23T14:00:00.000Z',
      }); // 08:30 EST
      expect((await at(set, '2026-11-23T14:30:00Z')).verdict).toBe('run'); // 09:30 EST
      expect((await at(set, '2026-11-23T21:59:00Z')).verdict).toBe('run'); // 16:59 EST
      expect((await at(set, '2026-11-28T03:00:00Z')).verdict).toBe('refused'); // Friday 22:00 EST, Saturday in UTC
      expect((await at(set, '2026-11-21T02:00:00Z')).verdict).toBe('refused'); // Friday 21:00 EST
      const paris = windowed("{ days: [sat], between: '00:00-01:00', timezone: Europe/Paris }");
      expect((await at(paris, '2026-11-20T23:30:00Z')).verdict).toBe('run'); // Saturday 00:30 in Paris, Friday in UTC
      expect((await at(paris, '2026-11-21T23:30:00Z')).verdict).toBe('refused'); // Sunday 00:30 in Paris
    });

    it('gives a window spanning midnight to its start day', async () => {
      const set = windowed("{ days: [fri], between: '22:00-06:00', timezone: UTC }");
      expect((await at(set, '2026-11-20T22:00:00Z')).verdict).toBe('run'); // Friday 22:00
      expect((await at(set, '2026-11-20T23:59:00Z')).verdict).toBe('run');
      expect((await at(set, '2026-11-21T00:00:00Z')).verdict).toBe('run'); // Saturday 00:00
      expect((await at(set, '2026-11-21T00:30:00Z')).verdict).toBe('run');
      expect((await at(set, '2026-11-21T05:59:00Z')).verdict).toBe('run');
      expect((await at(set, '2026-11-21T06:00:00Z')).verdict).toBe('refused');
      expect((await at(set, '2026-11-20T03:00:00Z')).verdict).toBe('refused'); // Friday 03:00 belongs to Thursday
      expect((await at(set, '2026-11-21T23:00:00Z')).verdict).toBe('refused'); // Saturday 23:00
      expect((await at(set, '2026-11-20T21:59:00Z')).reason).toBe('outside the policy window (fri 22:00-06:00 UTC); the window opens at 2026-11-20T22:00:00.000Z');
    });

    it('runs every day when only the hours are given', async () => {
      const set = windowed("{ between: '00:00-24:00' }");
      for (const iso of ['2026-11-21T00:00:00Z', '2026-11-22T23:59:00Z', '2026-11-23T12:00:00Z']) expect((await at(set, iso)).verdict).toBe('run');
    });
  });

  it('approval: a policy that needs one waits, and the hold counts for nothing until approved (engine/approvals/ checks the guards again then)', async () => {
    const set = policySet(policyYaml('reboot', `
      match: { alertname: NodeDown }
      target: '{{ labels.instance | host }}'
      actions:
        - name: reboot
          ansible: { playbook: playbooks/reboot_node.yml, limit: '{{ target }}' }
      guards: { approval: { required: true, ttl: 30m }, cooldown: 1h }
    `));
    const ledger = new IndexedLedger();
    const alerts = fixturePayload('node-down-two-instances.json').alerts;
    const decisions = await plan(set, alerts, { ledger });
    expect(decisions.map((d) => [d.alert.fingerprint, d.target, d.verdict, d.refusedBy, d.reason])).toEqual([
      ['62bf957d7b6668be', '127.0.0.1', 'awaiting-approval', null, 'approval required'],
      ['5da2f060dcf25751', '127.0.0.1', 'awaiting-approval', null, 'approval required'],
    ]);
    expect(decisions[0]!.params).toEqual({ playbook: 'playbooks/reboot_node.yml', limit: '127.0.0.1' });
    // Nothing decided to run: no cooldown, no rate window, no onResolved to answer; a re-send is a duplicate.
    expect([ledger.lastStart('reboot', 'actions', '127.0.0.1'), ledger.countPolicy('reboot', 'actions', 0), ledger.seen(ranKey(alerts[0]!, 'reboot'))]).toEqual([undefined, 0, false]);
    expect((await plan(set, [alerts[0]!], { ledger })).map((d) => d.refusedBy)).toEqual(['duplicate']);
    // Once one is approved and counted, the guards refuse the other by its cooldown.
    ledger.record({ policy: 'reboot', phase: 'actions', target: '127.0.0.1', disruptive: true, at: NOW });
    const later = { ...alerts[1]!, startsAt: '2026-11-21T07:59:00Z' };
    expect((await plan(set, [later], { ledger })).map((d) => d.refusedBy)).toEqual(['cooldown']);
  });

  it('checks paused first, then maintenance, window, cooldown', async () => {
    const settings = settingsYaml(`
      paused: true
      maintenanceWindows: [{ start: '2026-11-23T00:00:00Z', end: '2026-11-24T00:00:00Z' }]
    `);
    const yaml = policyYaml('restart', `
      match: { alertname: ServiceDown }
      actions:
        - name: restart
          script: { path: scripts/fix.sh }
      guards: { window: { days: [sun] } }
    `);
    const [paused] = await plan(policySet(yaml, { settings }), [alert({ alertname: 'ServiceDown' })]);
    expect(paused!.refusedBy).toBe('paused');
    const [maintenance] = await plan(policySet(yaml, { settings: settings.replace('paused: true', 'paused: false') }), [alert({ alertname: 'ServiceDown' })]);
    expect(maintenance!.refusedBy).toBe('maintenance');
    const [window] = await plan(policySet(yaml), [alert({ alertname: 'ServiceDown' })]);
    expect(window!.refusedBy).toBe('window');
  });
});

describe('decide: dry-run', () => {
  const yaml = (policyExtra: string, actionExtra = '') => policyYaml('restart-unit', `
    match: { alertname: ServiceDown }
    target: '{{ labels.instance | host }}'
    ${policyExtra}
    actions:
      - name: restart
        ansible: { playbook: playbooks/restart_service.yml, limit: '{{ target }}' }
        ${actionExtra}
      - name: say
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: 'restarting {{ target }}' }
  `);
  const down = () => alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
  const verdicts = (decisions: Decision[]) => decisions.map((d) => [d.action, d.verdict, d.reason]);

  it('runs for real when nothing asks for a dry run', async () => {
    expect(verdicts(await plan(policySet(yaml('')), [down()]))).toEqual([['restart', 'run', null], ['say', 'run', null]]);
  });

  it('dry-runs every action of a policy with dryRun: true', async () => {
    expect(verdicts(await plan(policySet(yaml('dryRun: true')), [down()]))).toEqual([['restart', 'dry-run', null], ['say', 'dry-run', null]]);
  });

  it('dry-runs only the action with dryRun: true', async () => {
    expect(verdicts(await plan(policySet(yaml('', 'dryRun: true')), [down()]))).toEqual([['restart', 'dry-run', null], ['say', 'run', null]]);
  });

  it('dry-runs everything when Settings say so', async () => {
    expect(verdicts(await plan(policySet(yaml(''), { settings: settingsYaml('dryRun: true') }), [down()]))).toEqual([['restart', 'dry-run', null], ['say', 'dry-run', null]]);
  });

  it('dry-runs everything with the option (simulate, serve --dry-run)', async () => {
    const decisions = await plan(policySet(yaml('')), [down()], { dryRun: true });
    expect(verdicts(decisions)).toEqual([['restart', 'dry-run', null], ['say', 'dry-run', null]]);
    expect(decisions.map((d) => d.description)).toEqual([
      'ansible-playbook --inventory=web-1, --limit=web-1 --extra-vars=@extra-vars.yml --check --diff playbooks/restart_service.yml',
      'post to Slack: restarting web-1 (dry run: not sent)',
    ]);
  });

  it('holds an action for approval in a dry run too (serve --dry-run rehearses the approval; approved, it runs dry)', async () => {
    const set = policySet(yaml('guards: { approval: { required: true } }'));
    const dry = await plan(set, [down()], { dryRun: true });
    expect(verdicts(dry)).toEqual([['restart', 'awaiting-approval', 'approval required'], ['say', 'awaiting-approval', 'approval required']]);
    expect(dry[1]!.description).toBe('post to Slack: restarting web-1 (dry run: not sent)');
    expect(verdicts(await plan(set, [down()]))).toEqual([['restart', 'awaiting-approval', 'approval required'], ['say', 'awaiting-approval', 'approval required']]);
  });
});

describe('decide: the same alert never runs the same action twice', () => {
  const say = (extra = '') => policySet(policyYaml('say', `
    match: { alertname: [ServiceDown, InstanceDown] }
    ${extra}
    actions:
      - name: say
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.alertname }}' }
      - name: page
        pagerduty: { routingKey: { env: PAGERDUTY_ROUTING_KEY }, summary: '{{ labels.alertname }}' }
    guards: { cooldown: 0s }
  `));

  it('refuses an alert re-sent with the same fingerprint and startsAt as a duplicate', async () => {
    const down = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
    const resent = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
    const decisions = await plan(say(), [down, { alert: resent, at: NOW + 30 * MINUTE }]);
    const reason = `duplicate: alert ${down.fingerprint} (startsAt ${START}) was already decided for say`;
    expect(decisions.map((d) => [d.action, d.verdict, d.refusedBy, d.reason])).toEqual([
      ['say', 'run', null, null],
      ['page', 'run', null, null],
      ['say', 'refused', 'duplicate', reason],
      ['page', 'refused', 'duplicate', reason],
    ]);
  });

  it('decides an alert that fires again (a new startsAt) anew', async () => {
    const first = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
    const again = inlineAlert({ labels: { alertname: 'ServiceDown', instance: 'web-1:9100' } }, '2026-11-23T13:00:00Z');
    expect(again.fingerprint).toBe(first.fingerprint);
    const decisions = await plan(say(), [first, { alert: again, at: NOW + 30 * MINUTE }]);
    expect(decisions.map((d) => d.verdict)).toEqual(['run', 'run', 'run', 'run']);
  });

  it('refuses the 408 alerts of a storm that Alertmanager re-sent, and decides the 92 new ones', async () => {
    const first = fixturePayload('storm-first-408.json');
    const repeat = fixturePayload('storm-repeat-500.json');
    const { decisions } = await simulate(say(), [first, repeat], { now: NOW });
    const byVerdict = (verdict: string, refusedBy: string | null) => decisions.filter((d) => d.verdict === verdict && d.refusedBy === refusedBy && d.action === 'say');
    expect(byVerdict('run', null)).toHaveLength(500);
    const duplicates = byVerdict('refused', 'duplicate');
    expect(duplicates).toHaveLength(408);
    expect(new Set(duplicates.map((d) => d.alert.fingerprint))).toEqual(new Set(first.alerts.map((a) => a.fingerprint)));
    expect(decisions).toHaveLength(2 * 908);
  });

  const announce = () => policySet(policyYaml('announce', `
    match: { alertname: NetDeviceDown }
    actions:
      - name: down
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.device }} down' }
    onResolved:
      - name: up
        slack: { webhook: { env: SLACK_WEBHOOK_URL }, text: '{{ labels.device }} up' }
  `));

  it('runs onResolved when the alert it fired for resolves, and refuses the re-sent firing one', async () => {
    const ledger = new IndexedLedger();
    const { decisions: fired } = await simulate(announce(), [fixturePayload('net-device-down-firing.json')], { now: NOW, ledger });
    const { decisions: resolved } = await simulate(announce(), [fixturePayload('net-device-down-one-resolved.json')], { now: NOW + 15 * MINUTE, ledger });
    expect(fired.map((d) => [d.alert.fingerprint, d.action, d.verdict, d.params?.text])).toEqual([
      ['16524211944f55ab', 'down', 'run', 'eth0 down'],
      ['cf2ed593de00943a', 'down', 'run', 'eth1 down'],
    ]);
    expect(resolved.map((d) => [d.alert.fingerprint, d.phase, d.action, d.verdict, d.refusedBy, d.params?.text])).toEqual([
      ['16524211944f55ab', 'onResolved', 'up', 'run', null, 'eth0 up'],
      ['cf2ed593de00943a', 'actions', 'down', 'refused', 'duplicate', undefined],
    ]);
  });

  it('sends the resolve notification a minute after the firing one (a notification does not hold its target)', async () => {
    const ledger = new IndexedLedger();
    await simulate(announce(), [fixturePayload('net-device-down-firing.json')], { now: NOW, ledger });
    const { decisions } = await simulate(announce(), [fixturePayload('net-device-down-one-resolved.json')], { now: NOW + MINUTE, ledger });
    expect(decisions.map((d) => [d.alert.fingerprint, d.action, d.verdict, d.reason])[0]).toEqual(['16524211944f55ab', 'up', 'run', null]);
  });

  it('runs the actions of an `on: any` policy again when the alert resolves', async () => {
    const set = say('on: any');
    const firing = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
    const resolved = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' }, { status: 'resolved' });
    expect(resolved.fingerprint).toBe(firing.fingerprint);
    expect(resolved.startsAt).toBe(firing.startsAt);
    const decisions = await plan(set, [firing, { alert: resolved, at: NOW + 30 * MINUTE }, { alert: resolved, at: NOW + 31 * MINUTE }]);
    expect(decisions.map((d) => [d.alert.status, d.action, d.verdict, d.refusedBy])).toEqual([
      ['firing', 'say', 'run', null],
      ['firing', 'page', 'run', null],
      ['resolved', 'say', 'run', null],
      ['resolved', 'page', 'run', null],
      ['resolved', 'say', 'refused', 'duplicate'],
      ['resolved', 'page', 'refused', 'duplicate'],
    ]);
  });
});
