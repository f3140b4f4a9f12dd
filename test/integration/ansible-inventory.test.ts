/**
 * An alert's label names a group of the inventory, end to end: webhook → engine → audit
 * repository → the real ansible-inventory and ansible-playbook (hosts of the local
 * connection, each writing a file named after itself). `instance="lab:9100"` must not run the
 * playbook on every host of group `lab` as one action; and the audit's description says the
 * command that ran, --check --diff only in a dry run, --connection when it is given.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../engine/audit/entry.js';
import { payload, removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { requireCommand } from '../helpers/processes.js';

const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';

function policy(name: string, alertname: string, ansible: string): string {
  return `apiVersion: homeostat/v1
kind: Policy
metadata: { name: ${name} }
spec:
  match: { alertname: ${alertname} }
  target: '{{ labels.instance | host }}'
  actions:
    - name: touch
      ansible: ${ansible}
      timeout: 50s
  guards: { cooldown: 0s }
`;
}

let root = '';
let out = '';
let t: TestEngine;
beforeAll(async () => {
  requireCommand('ansible-playbook', 'ansible-core');
  requireCommand('ansible-inventory', 'ansible-core');
  root = mkdtempSync(join(tmpdir(), 'homeostat-inventory-engine-'));
  out = join(root, 'out');
  mkdirSync(out);
  const touch = `{ playbook: playbooks/touch.yml, limit: '{{ target }}', extraVars: { out_dir: '${out}' }`;
  t = await startTestEngine({
    dataDir: join(root, 'data'),
    files: {
      'playbooks/touch.yml': `- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.copy: { dest: "{{ out_dir }}/{{ inventory_hostname }}", content: ran, mode: '0600' }
`,
      'inventory/hosts.ini': `[lab]\nlab-a ${LOCAL}\nlab-b ${LOCAL}\n`,
      'rules/lab.yaml': policy('touch-lab', 'LabDown', `${touch}, inventory: inventory/hosts.ini }`),
      'rules/lab-dry.yaml': policy('touch-lab-dry', 'LabDry', `${touch}, inventory: inventory/hosts.ini }\n      dryRun: true`),
      'rules/local.yaml': policy('touch-local', 'LocalDown', `${touch} }`),
    },
  });
});
afterAll(async () => {
  await t?.close();
  if (t) removeTestEngine(t);
  rmSync(root, { recursive: true, force: true });
});

/** Posts one alert and returns its action's entry once its outcome is committed. */
async function ended(alertname: string, instance: string): Promise<AuditEntry> {
  expect((await t.post(payload({ alertname, instance }))).statusCode).toBe(202);
  const target = instance.split(':')[0]!;
  const id = await waitFor(() => t.engine.recent.list({ target }).find((e) => e.alert?.alertname === alertname && e.outcome !== null)?.id, `the outcome of ${alertname} on ${target}`);
  return waitFor(() => {
    try {
      const entry = t.auditEntry(id);
      return entry.outcome !== null && entry;
    } catch {
      return undefined; // not committed yet
    }
  }, `the outcome of ${alertname} on ${target} in git`);
}

const ran = (): string[] => readdirSync(out).sort();

// The run names the revision's files and its scratch folder by their full paths; the
// description, decided before either exists, names them as the policy does.
function asDescribed(command: readonly string[]): string {
  const repo = `${realpathSync(t.repoDir)}/`;
  return command.map((arg) => arg.replace(repo, '').replace(/^--extra-vars=@.*\//, '--extra-vars=@')).join(' ');
}

describe('an inventory group named by a label', () => {
  it('refuses instance="lab:9100", a group of the inventory, and no host runs', async () => {
    const entry = await ended('LabDown', 'lab:9100');
    expect(entry).toMatchObject({
      verdict: 'run', outcome: 'failed', target: 'lab',
      reason: "refused: limit 'lab' is a group of 2 hosts in inventory inventory/hosts.ini, not one host",
    });
    expect(ran()).toEqual([]);
  });

  it('runs instance="lab-a:9100" on that host alone, and describes the command that ran', async () => {
    const entry = await ended('LabDown', 'lab-a:9100');
    expect(entry.outcome, entry.execution?.output).toBe('succeeded');
    expect(ran()).toEqual(['lab-a']);
    expect(entry.description).toBe(asDescribed(entry.execution!.command));
    expect(entry.description).toBe(
      `ansible-playbook --inventory=inventory/hosts.ini --limit=lab-a --extra-vars=@extra-vars.yml playbooks/touch.yml`);
  });

  it('refuses the group in a dry run too, and describes a dry run with --check --diff', async () => {
    const refused = await ended('LabDry', 'lab:9100');
    expect(refused).toMatchObject({ verdict: 'dry-run', outcome: 'failed', reason: "refused: limit 'lab' is a group of 2 hosts in inventory inventory/hosts.ini, not one host" });
    const entry = await ended('LabDry', 'lab-b:9100');
    expect(entry.outcome, entry.execution?.output).toBe('succeeded');
    expect(entry.description).toBe(asDescribed(entry.execution!.command));
    expect(entry.description).toBe(
      `ansible-playbook --inventory=inventory/hosts.ini --limit=lab-b --extra-vars=@extra-vars.yml --check --diff playbooks/touch.yml`);
    expect(ran()).toEqual(['lab-a']); // check mode wrote nothing
  });

  it('without an inventory, describes the local connection it uses', async () => {
    const entry = await ended('LocalDown', 'localhost:9100');
    expect(entry.outcome, entry.execution?.output).toBe('succeeded');
    expect(ran()).toEqual(['lab-a', 'localhost']);
    expect(entry.description).toBe(asDescribed(entry.execution!.command));
    expect(entry.description).toBe(
      `ansible-playbook --inventory=localhost, --connection=local --limit=localhost --extra-vars=@extra-vars.yml playbooks/touch.yml`);
  });
});
