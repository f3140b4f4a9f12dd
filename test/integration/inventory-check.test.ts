/**
 * Dynamic inventories, as Ansible runs them (an executable run with --list): `lint` says when
 * one cannot run, `lint --inventory-check` lists each and places what is wrong, and a schedule
 * and an alert's ansible action both use one for real (ansible-inventory, ansible-playbook).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run } from '../../engine/cli/program.js';
import { closeTestEngine, payload, startTestEngine, waitFor, writeRepo } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { requireCommand } from '../helpers/processes.js';

const GOOD = `#!/bin/sh
# A dynamic inventory: --list prints the groups, --host prints a host's vars.
if [ "$1" = "--list" ]; then
  echo '{"dns_servers": {"hosts": ["localhost"], "vars": {"ansible_connection": "local"}}, "_meta": {"hostvars": {}}}'
else
  echo '{}'
fi
`;
const BROKEN = `#!/bin/sh
echo 'this is not JSON'
`;
const PLAYBOOK = `---
- name: Say where it runs
  hosts: all
  gather_facts: false
  tasks:
    - name: Say the target
      ansible.builtin.debug:
        msg: "routine check on {{ inventory_hostname }} via {{ ansible_connection }}"
`;

function scheduleDoc(inventory: string, group = 'dns_servers'): string {
  return `apiVersion: homeostat/v1
kind: Schedule
metadata: { name: dynamic }
spec:
  cron: '@yearly'
  targets: { group: ${group}, inventory: ${inventory} }
  actions:
    - name: check
      ansible: { playbook: playbooks/say.yml, limit: '{{ target }}' }
`;
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function repo(files: Record<string, string>, executable: string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'homeostat-inv-'));
  roots.push(root);
  writeFileSync(join(root, 'homeostat.yaml'), 'apiVersion: homeostat/v1\nkind: Settings\nspec: {}\n');
  writeRepo(root, files);
  for (const path of executable) chmodSync(join(root, path), 0o755);
  return root;
}

async function lint(root: string, ...flags: string[]) {
  let out = '';
  const code = await run(['lint', root, '--format', 'json', ...flags], { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: root });
  const report = JSON.parse(out) as { ok: boolean; problems: { code: string; line: number; col: number; pointer: string; message: string }[] };
  return { code, problems: report.problems.map(({ code: c, line, col, pointer, message }) => ({ code: c, line, col, pointer, message })) };
}

describe('dynamic inventories', () => {
  it('lint: an inventory script that is not executable; --inventory-check: one that prints no inventory, and a group it lacks', async () => {
    requireCommand('ansible-inventory', 'ansible-core');
    const notExecutable = repo({ 'rules/s.yaml': scheduleDoc('inventory/dynamic.sh'), 'inventory/dynamic.sh': GOOD, 'playbooks/say.yml': PLAYBOOK });
    expect((await lint(notExecutable)).problems).toEqual([
      { code: 'HST_FILE_NOT_EXECUTABLE', line: 6, col: 45, pointer: '/spec/targets/inventory', message: "inventory 'inventory/dynamic.sh' starts with #! but is not executable, so Ansible would read it as a host list instead of running it" },
    ]);
    const good = repo({ 'rules/s.yaml': scheduleDoc('inventory/dynamic.sh'), 'inventory/dynamic.sh': GOOD, 'playbooks/say.yml': PLAYBOOK }, ['inventory/dynamic.sh']);
    expect(await lint(good, '--inventory-check')).toEqual({ code: 0, problems: [] });
    const lacking = repo({ 'rules/s.yaml': scheduleDoc('inventory/dynamic.sh', 'web_servers'), 'inventory/dynamic.sh': GOOD, 'playbooks/say.yml': PLAYBOOK }, ['inventory/dynamic.sh']);
    expect(await lint(lacking, '--inventory-check')).toEqual({ code: 1, problems: [{ code: 'HST_INVENTORY_INVALID', line: 6, col: 21, pointer: '/spec/targets/group', message: "inventory inventory/dynamic.sh has no group 'web_servers'" }] });
    const broken = repo({ 'rules/s.yaml': scheduleDoc('inventory/broken.sh'), 'inventory/broken.sh': BROKEN, 'playbooks/say.yml': PLAYBOOK }, ['inventory/broken.sh']);
    const result = await lint(broken, '--inventory-check');
    expect(result.code).toBe(1);
    expect(result.problems).toEqual([expect.objectContaining({ code: 'HST_INVENTORY_INVALID', line: 6, col: 45, pointer: '/spec/targets/inventory' })]);
    expect(result.problems[0]!.message).toMatch(/^cannot list the hosts of inventory inventory\/broken\.sh: /);
  });

  describe('in the engine', () => {
    let t: TestEngine | undefined;
    afterEach(async () => (t = await closeTestEngine(t)));

    it('a schedule runs on the hosts an inventory script returns, and an alert action limits to one of them', async () => {
      requireCommand('ansible-playbook', 'ansible-core');
      const policy = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: say-on-alert }
spec:
  match: { alertname: Say }
  target: '{{ labels.host }}'
  actions: [{ name: say, ansible: { playbook: playbooks/say.yml, inventory: inventory/dynamic.sh, limit: '{{ target }}' } }]
  guards: { cooldown: 0s }
`;
      t = await startTestEngine({ files: { 'rules/s.yaml': scheduleDoc('inventory/dynamic.sh'), 'rules/p.yaml': policy, 'inventory/dynamic.sh': GOOD, 'playbooks/say.yml': PLAYBOOK }, config: { adminToken: 'inv-admin' } });
      chmodSync(join(t.repoDir, 'inventory/dynamic.sh'), 0o755);
      await t.engine.policies.load();
      await waitFor(() => t!.engine.schedules.list().length === 1, 'the schedule to be active');
      const asked = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/dynamic/run', headers: { authorization: 'Bearer inv-admin' } });
      expect(asked.statusCode).toBe(202);
      expect(await t.post(payload({ alertname: 'Say', host: 'localhost' }))).toMatchObject({ statusCode: 202 });
      const ended = await waitFor(() => {
        const all = [...t!.engine.recent.list({ kind: 'run' }), ...t!.engine.recent.list({ policy: 'say-on-alert' })];
        return all.length === 2 && all.every((e) => e.outcome) ? all : undefined;
      }, 'the run and the action to end', 120_000);
      for (const entry of ended) {
        expect(entry).toMatchObject({ target: 'localhost', outcome: 'succeeded' });
        expect(entry.execution!.output).toContain('routine check on localhost via local');
      }
    });
  });
});
