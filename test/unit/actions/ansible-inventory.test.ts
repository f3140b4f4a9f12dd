// The ansible action with an inventory, run by the real ansible-inventory and ansible-playbook
// (hosts of the local connection, each writing a file named after itself): a limit that is a
// group or no host of the inventory is refused before any host runs, in a dry run too; the
// inventory is listed once per revision; the audit's description is the command that ran.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ansible } from '../../../engine/actions/ansible/index.js';
import { describePlaybook } from '../../../engine/actions/ansible/command.js';
import type { RunContext, RunResult } from '../../../engine/actions/types.js';
import { inlineAlert } from '../../helpers/alerts.js';
import { requireCommand } from '../../helpers/processes.js';

const PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.copy: { dest: "{{ out_dir }}/{{ inventory_hostname }}", content: ran, mode: '0600' }
`;
const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';
const HOSTS = `solo ${LOCAL}
both ${LOCAL}
[lab]
lab-a ${LOCAL}
lab-b ${LOCAL}
[both]
solo
`;

beforeAll(() => {
  requireCommand('ansible-playbook', 'ansible-core');
  requireCommand('ansible-inventory', 'ansible-core');
});

let dir = '';
let repoDir = '';
let outDir = '';
let calls = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'homeostat-limit-'));
  repoDir = join(dir, 'repo');
  outDir = join(dir, 'out');
  calls = join(dir, 'calls.log');
  mkdirSync(outDir);
  mkdirSync(join(repoDir, 'playbooks'), { recursive: true });
  mkdirSync(join(repoDir, 'inventory'));
  writeFileSync(join(repoDir, 'playbooks/touch.yml'), PLAYBOOK);
  writeFileSync(join(repoDir, 'inventory/hosts.ini'), HOSTS);
  // An executable inventory that notes which program asked it for the hosts.
  writeFileSync(join(repoDir, 'inventory/counted.sh'), `#!/bin/sh
tr '\\0' ' ' < /proc/$PPID/cmdline >> '${calls}'
echo >> '${calls}'
[ "$1" = --list ] || { echo '{}'; exit 0; }
echo '{"lab": {"hosts": ["lab-a", "lab-b"]}, "_meta": {"hostvars": {"lab-a": {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}, "lab-b": {"ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3"}}}}'
`);
  chmodSync(join(repoDir, 'inventory/counted.sh'), 0o755);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function run(params: Record<string, unknown>, overrides: Partial<RunContext> = {}): Promise<RunResult> {
  const workDir = mkdtempSync(join(dir, 'work-'));
  return ansible.run!({
    repoDir, workDir, params: { playbook: 'playbooks/touch.yml', extraVars: { out_dir: outDir }, ...params },
    target: String(params.limit ?? 'localhost'), alert: inlineAlert({ labels: { alertname: 'Lab' } }),
    dryRun: false, timeoutMs: 60_000, secrets: [], signal: new AbortController().signal, onSpawn: () => undefined, ...overrides,
  }).finally(() => rmSync(workDir, { recursive: true, force: true }));
}

const ran = (): string[] => readdirSync(outDir).sort();
/** How many times `program` ran the counted inventory. */
const asked = (program: string): number =>
  (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((l) => l.includes(`/${program} `)).length : 0);

describe('ansible run with an inventory: the limit is one host of it', () => {
  it('refuses a limit that is a group of the inventory, in a dry run too, and no host runs', async () => {
    for (const dryRun of [false, true]) {
      const result = await run({ inventory: 'inventory/hosts.ini', limit: 'lab' }, { dryRun });
      expect(result).toMatchObject({
        outcome: 'failed', pgid: null, command: ['ansible-playbook'],
        reason: "refused: limit 'lab' is a group of 2 hosts in inventory inventory/hosts.ini, not one host",
      });
    }
    expect(ran()).toEqual([]);
  });

  it('refuses a name that is a group and a host both, and a name that is no host of the inventory', async () => {
    const both = await run({ inventory: 'inventory/hosts.ini', limit: 'both' });
    expect(both.reason).toBe("refused: limit 'both' is a group of 1 host in inventory inventory/hosts.ini, not one host");
    const unknown = await run({ inventory: 'inventory/hosts.ini', limit: 'web-9' });
    expect(unknown.reason).toBe("refused: limit 'web-9' is not a host of inventory inventory/hosts.ini");
    expect(unknown.outcome).toBe('failed');
    expect(ran()).toEqual([]);
  });

  it('runs a limit that is one host of the inventory on that host alone', async () => {
    const result = await run({ inventory: 'inventory/hosts.ini', limit: 'lab-a' });
    expect(result, result.output).toMatchObject({ outcome: 'succeeded', reason: null });
    expect(ran()).toEqual(['lab-a']);
  });

  it('lists an inventory once per revision, an executable one too, and afresh when it changes in place', async () => {
    expect((await run({ inventory: 'inventory/counted.sh', limit: 'lab-a' })).outcome).toBe('succeeded');
    expect((await run({ inventory: 'inventory/counted.sh', limit: 'lab-b' })).outcome).toBe('succeeded');
    expect((await run({ inventory: 'inventory/counted.sh', limit: 'lab' })).reason).toBe("refused: limit 'lab' is a group of 2 hosts in inventory inventory/counted.sh, not one host");
    expect(ran()).toEqual(['lab-a', 'lab-b']);
    expect(asked('ansible-inventory')).toBe(1);
    expect(asked('ansible-playbook')).toBe(2);

    // Another revision: another folder with the same files.
    const first = repoDir;
    repoDir = join(dir, 'repo-2');
    cpSync(first, repoDir, { recursive: true });
    expect((await run({ inventory: 'inventory/counted.sh', limit: 'lab-a' })).outcome).toBe('succeeded');
    expect(asked('ansible-inventory')).toBe(2);

    // A policy folder that is not a git repository is edited in place.
    expect((await run({ inventory: 'inventory/hosts.ini', limit: 'lab-c' })).reason).toBe("refused: limit 'lab-c' is not a host of inventory inventory/hosts.ini");
    writeFileSync(join(repoDir, 'inventory/hosts.ini'), `${HOSTS}lab-c ${LOCAL}\n`);
    expect((await run({ inventory: 'inventory/hosts.ini', limit: 'lab-c' })).outcome).toBe('succeeded');
    expect(ran()).toEqual(['lab-a', 'lab-b', 'lab-c']);
  });

  it('fails when the inventory cannot be listed, runs nothing, and lists it again next time', async () => {
    // Broken while the flag file exists: the inventory's own files do not change.
    const flag = join(dir, 'broken');
    writeFileSync(flag, '');
    const script = join(repoDir, 'inventory/flaky.sh');
    writeFileSync(script, `#!/bin/sh\n[ -e '${flag}' ] && { echo "no inventory today" >&2; exit 3; }\nexec '${join(repoDir, 'inventory/counted.sh')}' "$@"\n`);
    chmodSync(script, 0o755);
    const broken = await run({ inventory: 'inventory/flaky.sh', limit: 'lab-a' });
    expect(broken).toMatchObject({ outcome: 'failed', reason: 'cannot list the hosts of inventory inventory/flaky.sh: exit code 1' });
    expect(broken.command[0]).toBe('ansible-inventory');
    expect(broken.output).toContain('no inventory today');
    expect(ran()).toEqual([]);

    rmSync(flag);
    expect((await run({ inventory: 'inventory/flaky.sh', limit: 'lab-a' })).outcome).toBe('succeeded');
    expect(ran()).toEqual(['lab-a']);
  });

  it('rejects, as the run does, when the listing cannot be journaled, and lists again next time', async () => {
    const cannot = () => Promise.reject(new Error('the journal is full'));
    await expect(run({ inventory: 'inventory/counted.sh', limit: 'lab-a' }, { onSpawn: cannot })).rejects.toThrow('the journal is full');
    expect(ran()).toEqual([]);
    expect((await run({ inventory: 'inventory/counted.sh', limit: 'lab-a' })).outcome).toBe('succeeded');
    expect(ran()).toEqual(['lab-a']);
  });
});

describe('ansible description: the command that runs', () => {
  // The run names the revision's files and its scratch folder by their full paths; the
  // description, decided before either exists, names them as the policy does.
  function asDescribed(command: readonly string[]): string {
    return command.map((arg) => arg.replace(`${repoDir}/`, '').replace(/^--extra-vars=@.*\//, '--extra-vars=@')).join(' ');
  }

  it('describes a live run without --check, a dry run with --check --diff, each as it runs', async () => {
    const params = { playbook: 'playbooks/touch.yml', inventory: 'inventory/hosts.ini', limit: 'lab-a', tags: ['all'], extraVars: { out_dir: outDir } };
    const live = await run(params);
    expect(live.outcome, live.output).toBe('succeeded');
    expect(describePlaybook(params, 'lab-a', false)).toBe(asDescribed(live.command));
    expect(describePlaybook(params, 'lab-a', false)).toBe(
      'ansible-playbook --inventory=inventory/hosts.ini --limit=lab-a --tags=all --extra-vars=@extra-vars.yml playbooks/touch.yml');
    const dry = await run(params, { dryRun: true });
    expect(dry.outcome, dry.output).toBe('succeeded');
    expect(describePlaybook(params, 'lab-a', true)).toBe(asDescribed(dry.command));
    expect(describePlaybook(params, 'lab-a', true)).toContain(' --check --diff ');
  });

  it('says --connection=local when the target is this machine and no inventory is given', async () => {
    const params = { playbook: 'playbooks/touch.yml', limit: 'localhost', extraVars: { out_dir: outDir } };
    const live = await run(params);
    expect(live.outcome, live.output).toBe('succeeded');
    expect(ran()).toEqual(['localhost']);
    expect(describePlaybook(params, 'localhost', false)).toBe(asDescribed(live.command));
    expect(describePlaybook(params, 'localhost', false)).toBe(
      'ansible-playbook --inventory=localhost, --connection=local --limit=localhost --extra-vars=@extra-vars.yml playbooks/touch.yml');
  });
});
