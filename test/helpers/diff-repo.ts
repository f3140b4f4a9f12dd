/**
 * A policy repository in real git with two revisions, for `homeostat diff` and the GitHub
 * action: from `base` to `head`, one policy's match is narrowed, one policy is added, one
 * action's parameters change and one guard is tightened. TIMELINE holds alerts, each sent at
 * its own time, that show each of those changes once, and one that nothing changes.
 */
import { writeFileSync } from 'node:fs';
import { createWorkTree } from './git-remote.js';
import type { RepoFiles, WorkTree } from './git-remote.js';
import { payload } from './engine.js';
import { policyYaml, settingsYaml } from './policies.js';
import { HOSTILE_MARKDOWN as HOSTILE_NAME } from './hostile.js';

const PLAYBOOK = '- hosts: all\n  gather_facts: false\n  tasks: []\n';

function restartService(service: string): string {
  return policyYaml(
    'restart-service',
    `
    match: { alertname: ServiceDown }
    target: '{{ labels.instance | host }}'
    actions:
      - name: restart
        ansible:
          playbook: playbooks/restart_service.yml
          limit: '{{ target }}'
          extraVars: { service: '${service}' }
    guards: { cooldown: 1m }`,
  );
}

function stopCpuHog(match: string): string {
  return policyYaml(
    'stop-cpu-hog',
    `
    match: ${match}
    target: '{{ labels.instance | host }}'
    actions:
      - name: stop
        ansible: { playbook: playbooks/stop_cpu_hog.yml, limit: '{{ target }}' }
    guards: { cooldown: 1m }`,
  );
}

function cleanDisk(cooldown: string): string {
  return policyYaml(
    'clean-disk',
    `
    match: { alertname: HostDiskSpaceLow }
    target: '{{ labels.instance | host }}'
    actions:
      - name: clean
        ansible: { playbook: playbooks/clean_disk.yml, limit: '{{ target }}' }
    guards: { cooldown: ${cooldown} }`,
  );
}

const REBOOT_NODE = policyYaml(
  'reboot-node',
  `
  match: { alertname: NodeDown }
  target: '{{ labels.instance | host }}'
  actions:
    - name: reboot
      ansible: { playbook: playbooks/reboot_node.yml, limit: '{{ target }}' }`,
);

const RESTART_TEST = `apiVersion: homeostat/v1
kind: PolicyTest
metadata: { name: restart-service }
spec:
  cases:
    - name: a failed unit on web-1 is restarted
      alerts: [{ labels: { alertname: ServiceDown, instance: 'web-1:9100', name: nginx } }]
      expect:
        - { policy: restart-service, action: restart, target: web-1 }
`;

export const BASE_FILES: RepoFiles = {
  'homeostat.yaml': settingsYaml('blastRadius: { max: 100, per: 10m }'),
  'playbooks/restart_service.yml': PLAYBOOK,
  'playbooks/stop_cpu_hog.yml': PLAYBOOK,
  'playbooks/clean_disk.yml': PLAYBOOK,
  'playbooks/reboot_node.yml': PLAYBOOK,
  'rules/restart-service.yaml': restartService('{{ labels.name }}'),
  'rules/restart-service.test.yaml': RESTART_TEST,
  'rules/stop-cpu-hog.yaml': stopCpuHog('{ alertname: HighCPUUsage }'),
  'rules/clean-disk.yaml': cleanDisk('1m'),
};

export const HEAD_FILES: RepoFiles = {
  'rules/restart-service.yaml': restartService('{{ labels.name }}.service'),
  'rules/stop-cpu-hog.yaml': stopCpuHog('{ alertname: HighCPUUsage, severity: critical }'),
  'rules/clean-disk.yaml': cleanDisk('30m'),
  'rules/reboot-node.yaml': REBOOT_NODE,
};

/** [time sent, labels]: one alert a payload. */
const SENT: [string, Record<string, string>][] = [
  ['2026-11-20T09:00:00Z', { alertname: 'ServiceDown', instance: 'web-1:9100', name: HOSTILE_NAME }],
  ['2026-11-20T09:00:00Z', { alertname: 'HighCPUUsage', instance: 'web-2:9100', severity: 'warning' }],
  ['2026-11-20T09:00:00Z', { alertname: 'HighCPUUsage', instance: 'web-3:9100', severity: 'critical' }],
  ['2026-11-20T09:01:00Z', { alertname: 'HostDiskSpaceLow', instance: 'db-1:9100', mountpoint: '/var' }],
  ['2026-11-20T09:11:00Z', { alertname: 'HostDiskSpaceLow', instance: 'db-1:9100', mountpoint: '/srv' }],
  ['2026-11-20T09:12:00Z', { alertname: 'NodeDown', instance: 'web-4:9100' }],
];

/** The timeline file's text: JSON Lines of {at, payload}. */
export const TIMELINE = SENT.map(([at, labels]) => JSON.stringify({ at, payload: payload(labels, { startsAt: at }) })).join('\n') + '\n';

export interface DiffRepo {
  tree: WorkTree;
  base: string;
  head: string;
  /** The timeline, written next to the repository. */
  alerts: string;
}

/** The repository at `dir` (branch `base` at the first revision, HEAD at the second), the timeline at `alertsPath`. */
export function createDiffRepo(dir: string, alertsPath: string): DiffRepo {
  const tree = createWorkTree(dir, BASE_FILES);
  const base = tree.head();
  tree.git('branch', 'base');
  const head = tree.commit('narrow stop-cpu-hog, add reboot-node, name the unit, clean-disk cooldown 30m', HEAD_FILES);
  writeFileSync(alertsPath, TIMELINE);
  return { tree, base, head, alerts: alertsPath };
}
