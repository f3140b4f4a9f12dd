/**
 * Writes a synthetic policy repository for the benchmark: one policy per file in rules/,
 * the playbooks they reference, and a homeostat.yaml. Deterministic (seeded), so two runs
 * measure the same repository.
 *
 * Shape of the set (why: it should cost what a real one costs, not less):
 * - alertnames drawn from a pool of 300, so each name has several policies (about N/300);
 * - every kind of matcher: equals, one-of list, {regex}, {notRegex}, {notIn}, {exists};
 * - about 1% catch-alls that match no alertname, only {severity: critical, team: X};
 * - a `target` template, ansible/kubernetes/slack actions with templated parameters, some
 *   `when` conditions on labels, guards;
 * - exactly STORM_MATCHES policies that match the InstanceDown storm fixtures; random
 *   policies that land on InstanceDown carry a matcher the storm alerts fail, so the number
 *   of matches per storm alert is the same at every size.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STORM_MATCHES = 5;
const ALERTNAME_POOL_SIZE = 300;
const CATCH_ALL_SHARE = 0.01;

/** mulberry32: small, fast, seeded. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SUBJECTS = ['Node', 'Host', 'Kube', 'Pod', 'Service', 'Disk', 'Memory', 'Cpu', 'Network', 'Etcd', 'Redis', 'Postgres', 'Nginx', 'Kafka', 'Rabbitmq', 'Elastic', 'Mysql', 'Haproxy', 'Coredns', 'Ingress', 'Certificate', 'Backup', 'Cron', 'Queue', 'Api'];
const STATES = ['Down', 'High', 'Low', 'Failing', 'Saturated', 'LatencyHigh', 'ErrorRateHigh', 'Restarting', 'NotReady', 'Unreachable', 'Flapping', 'Degraded'];

/** 300 distinct alertnames; InstanceDown is one of them (the storm's). */
export function alertnamePool() {
  const names = ['InstanceDown'];
  for (const state of STATES) for (const subject of SUBJECTS) names.push(`${subject}${state}`);
  return names.slice(0, ALERTNAME_POOL_SIZE);
}

const TEAMS = ['sre', 'web', 'platform', 'data', 'apps', 'net', 'db', 'payments', 'search', 'infra'];
const ENVS = ['prod', 'staging', 'dev', 'test', 'qa'];
const REGIONS = ['eu', 'us', 'ap'];

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function sample(rand, list, n) {
  const copy = [...list];
  const out = [];
  while (out.length < n && copy.length) out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0]);
  return out;
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`;

/** The label matchers besides alertname; each entry is [label, yaml value]. */
function extraMatchers(rand, i, kind) {
  const team = pick(rand, TEAMS);
  const options = [
    () => ['severity', rand() < 0.5 ? 'critical' : '[warning, critical]'],
    () => ['env', `{ notIn: [${sample(rand, ENVS, 1 + Math.floor(rand() * 2)).join(', ')}] }`],
    () => ['team', `${team}`],
    () => ['cluster', `{ regex: ${q(`${pick(rand, ENVS)}-(${sample(rand, REGIONS, 2).join('|')})-[0-9]+`)} }`],
    () => ['job', `{ notRegex: ${q(`(${team}|blackbox)-probe-[0-9]*`)} }`],
    () => ['heal', "'true'"],
    () => ['region', `[${sample(rand, REGIONS, 2).join(', ')}]`],
  ];
  if (kind === 'host') {
    options.push(
      () => ['instance', `{ regex: ${q(`(${team}|node)-[0-9]+(:[0-9]+)?`)} }`],
      () => ['instance', '{ exists: true }'],
    );
  } else if (kind === 'pod') {
    options.push(
      () => ['pod', '{ exists: true }'],
      () => ['namespace', `{ notIn: [kube-system, ${team}-sandbox] }`],
      () => ['pod', `{ regex: ${q(`${team}-[a-z0-9-]+-[a-z0-9]{5,10}-[a-z0-9]{5}`)} }`],
    );
  } else {
    options.push(() => ['node', `{ notRegex: ${q(`.*(control-plane|master|${team}-infra).*`)} }`]);
  }
  const chosen = new Map();
  const count = 1 + Math.floor(rand() * 3);
  for (let n = 0; n < 8 && chosen.size < count; n++) {
    const [label, value] = pick(rand, options)();
    if (!chosen.has(label)) chosen.set(label, value);
  }
  if (i % 7 === 0 && !chosen.has('env')) chosen.set('env', '{ exists: true }');
  return chosen;
}

const TARGETS = {
  host: "'{{ labels.instance | host }}'",
  pod: "'{{ labels.namespace }}/{{ labels.pod }}'",
  node: "'{{ labels.node }}'",
};

function actionsFor(rand, kind, name) {
  const slack = (actionName) => [
    `    - name: ${actionName}`,
    '      slack:',
    '        webhook: { env: SLACK_WEBHOOK_URL }',
    `        text: '${name}: {{ labels.alertname }}{% if labels.instance %} on {{ labels.instance }}{% endif %} — {% if annotations.summary %}{{ annotations.summary }}{% else %}no summary{% endif %}'`,
  ];
  const lines = [];
  if (kind === 'host') {
    lines.push(
      `    - name: remediate`,
      '      ansible:',
      `        playbook: playbooks/${pick(rand, ['x', 'restart_service', 'reboot_node'])}.yml`,
      "        limit: '{{ target }}'",
      `        extraVars: { service: '{{ labels.alertname | downcase }}', reason: ${q(`${name} fired`)}, retries: ${1 + Math.floor(rand() * 3)} }`,
      `      timeout: ${pick(rand, ['2m', '5m', '15m'])}`,
    );
  } else if (kind === 'pod') {
    const op = pick(rand, ['deletePod', 'rolloutRestart', 'scale']);
    const params = {
      deletePod: "{ namespace: '{{ labels.namespace }}', pod: '{{ labels.pod }}' }",
      rolloutRestart: "{ namespace: '{{ labels.namespace }}', deployment: '{{ labels.pod | pod_deployment }}' }",
      scale: `{ namespace: '{{ labels.namespace }}', deployment: '{{ labels.pod | pod_deployment }}', by: 1, max: ${5 + Math.floor(rand() * 20)} }`,
    }[op];
    lines.push(`    - name: ${op.toLowerCase()}`, '      kubernetes:', `        ${op}: ${params}`);
  } else {
    lines.push('    - name: cordon', '      kubernetes:', "        cordon: { node: '{{ labels.node }}' }");
  }
  if (rand() < 0.4) lines.push(...slack('tell-slack'));
  return lines;
}

function whenFor(rand) {
  const r = rand();
  if (r < 0.5) {
    return [
      '  when:',
      '    all:',
      `      - { fact: labels, path: ${pick(rand, ['env', 'cluster', 'team'])}, operator: notEqual, value: ${pick(rand, ENVS)} }`,
      `      - { fact: annotations, path: summary, operator: exists, value: true }`,
    ];
  }
  return [
    '  when:',
    '    any:',
    `      - { fact: labels, path: severity, operator: in, value: [critical, page] }`,
    `      - { fact: labels, path: instance, operator: regex, value: ${q(`${pick(rand, TEAMS)}-[0-9]+.*`)} }`,
  ];
}

function guardsFor(rand) {
  const lines = ['  guards:', `    cooldown: ${pick(rand, ['5m', '10m', '15m', '30m', '1h'])}`];
  if (rand() < 0.6) lines.push(`    rateLimit: { max: ${1 + Math.floor(rand() * 10)}, per: ${pick(rand, ['10m', '1h'])} }`);
  if (rand() < 0.2) lines.push('    approval: { required: true, ttl: 30m }');
  if (rand() < 0.15) lines.push(`    window: { days: [mon, tue, wed, thu, fri], between: '06:00-22:00', timezone: ${pick(rand, ['UTC', 'Europe/Paris', 'America/New_York'])} }`);
  return lines;
}

function header(name, description, owner) {
  return ['apiVersion: homeostat/v1', 'kind: Policy', 'metadata:', `  name: ${name}`, `  description: ${q(description)}`, `  owner: team-${owner}`, 'spec:'];
}

/** One random policy; InstanceDown policies get a matcher the storm alerts fail. */
function randomPolicy(rand, i, pool) {
  const kind = pick(rand, ['host', 'host', 'pod', 'node']);
  const team = pick(rand, TEAMS);
  const catchAll = rand() < CATCH_ALL_SHARE;
  const name = `${catchAll ? 'catch-all' : kind}-${team}-${i}`;
  const lines = header(name, `Generated ${kind} remediation #${i}.`, team);
  lines.push(`  priority: ${1 + Math.floor(rand() * 100)}`);
  if (rand() < 0.05) lines.push(`  on: ${pick(rand, ['any', 'resolved'])}`);
  lines.push('  match:');
  let alertnames = [];
  if (catchAll) {
    lines.push('    severity: critical', `    team: ${team}`);
  } else {
    alertnames = rand() < 0.2 ? sample(rand, pool, 2 + Math.floor(rand() * 2)) : [pick(rand, pool)];
    lines.push(`    alertname: ${alertnames.length === 1 ? alertnames[0] : `[${alertnames.join(', ')}]`}`);
    const matchers = extraMatchers(rand, i, kind);
    if (alertnames.includes('InstanceDown')) matchers.set('job', pick(rand, ['kubernetes-nodes', '{ regex: \'blackbox-.*\' }', '[node-exporter, windows-exporter]']));
    for (const [label, value] of matchers) lines.push(`    ${label}: ${value}`);
  }
  if (rand() < 0.3) lines.push(...whenFor(rand));
  lines.push(`  target: ${TARGETS[kind]}`, '  actions:', ...actionsFor(rand, kind, name));
  if (rand() < 0.15) {
    lines.push('  onResolved:', '    - name: resolved-note', '      slack:', '        webhook: { env: SLACK_WEBHOOK_URL }', "        text: '{{ labels.alertname }} resolved'");
  }
  lines.push(...guardsFor(rand));
  return lines.join('\n') + '\n';
}

/** The policies that match every storm alert (InstanceDown, job=fleet, severity=critical). */
function stormPolicies() {
  const ansible = (playbook) => [
    '  actions:',
    '    - name: remediate',
    '      ansible:',
    `        playbook: playbooks/${playbook}.yml`,
    "        limit: '{{ target }}'",
    "        extraVars: { target_host: '{{ target }}', summary: '{{ annotations.summary }}' }",
    '      timeout: 15m',
  ];
  const slack = ['  actions:', '    - name: notify', '      slack:', '        webhook: { env: SLACK_WEBHOOK_URL }', "        text: ':rotating_light: {{ labels.alertname }} on {{ labels.instance }} ({{ labels.job }})'"];
  return [
    [...header('storm-reboot-fleet-node', 'Reboot a fleet node that went down.', 'ops'), '  priority: 80', '  match:', '    alertname: InstanceDown',
      "    job: { regex: 'fleet|node-exporter' }", "  target: '{{ labels.instance | host }}'", ...ansible('reboot_node'),
      '  guards:', '    cooldown: 1h', '    rateLimit: { max: 5, per: 10m }', '    approval: { required: true, ttl: 30m }'],
    [...header('storm-notify-instance-down', 'Tell Slack about down instances.', 'sre'), '  priority: 30', '  match:', '    alertname: [InstanceDown, NodeDown]',
      '    severity: [critical, page]', "    instance: { regex: 'node-[0-9]+:9100' }", "  target: '{{ labels.instance | host }}'", ...slack,
      '  guards:', '    cooldown: 30m'],
    [...header('storm-catch-all-fleet-critical', 'Every critical fleet alert goes to the fleet channel.', 'fleet'), '  priority: 10', '  match:', '    severity: critical',
      '    job: fleet', ...slack, '  guards:', '    cooldown: 15m', '    rateLimit: { max: 30, per: 10m }'],
    [...header('storm-instance-down-not-dev', 'Restart node_exporter on a non-dev instance.', 'platform'), '  match:', '    alertname: InstanceDown',
      '    env: { notIn: [dev, test] }', '    instance: { exists: true }', '  when:', '    all:', '      - { fact: labels, path: job, operator: equal, value: fleet }',
      '      - { fact: alert, path: status, operator: equal, value: firing }', "  target: '{{ labels.instance | host }}'", ...ansible('restart_service'),
      '  guards:', '    cooldown: 15m', '    concurrency: 1'],
    [...header('storm-cordon-fleet-node', 'Cordon the Kubernetes node behind a down fleet instance.', 'k8s'), '  priority: 60', '  match:', '    alertname: InstanceDown',
      '    job: fleet', '    node: { notRegex: \'.*(control-plane|master).*\' }', '  when:', '    any:', '      - { fact: labels, path: severity, operator: in, value: [critical, page] }',
      '      - { fact: labels, path: heal, operator: equal, value: \'true\' }', "  target: '{{ labels.instance | host }}'",
      '  actions:', '    - name: cordon', '      kubernetes:', "        cordon: { node: '{{ labels.instance | host }}' }", '  guards:', '    cooldown: 30m'],
  ].map((lines) => lines.join('\n') + '\n');
}

const PLAYBOOK = '- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n';

/** Writes the repository into dir (which must not exist yet or be empty); returns its policy count. */
export function writeRepository(dir, count, seed = 42) {
  const rand = prng(seed);
  const pool = alertnamePool();
  mkdirSync(join(dir, 'rules'), { recursive: true });
  mkdirSync(join(dir, 'playbooks'), { recursive: true });
  for (const playbook of ['x', 'restart_service', 'reboot_node']) writeFileSync(join(dir, 'playbooks', `${playbook}.yml`), PLAYBOOK);
  writeFileSync(join(dir, 'homeostat.yaml'), 'apiVersion: homeostat/v1\nkind: Settings\nspec:\n  blastRadius: { max: 20, per: 10m }\n  defaults:\n    guards: { cooldown: 5m, concurrency: 1 }\n');
  const storm = stormPolicies();
  const width = String(count).length;
  // Storm policies sit at spread-out positions, as they would in a real repository.
  const stormAt = new Map(storm.map((text, k) => [Math.floor(((k + 0.5) * count) / storm.length), text]));
  for (let i = 0; i < count; i++) {
    const text = stormAt.get(i) ?? randomPolicy(rand, i, pool);
    writeFileSync(join(dir, 'rules', `policy-${String(i).padStart(width, '0')}.yaml`), text);
  }
  return count;
}
