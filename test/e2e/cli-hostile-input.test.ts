/**
 * What the built `homeostat` prints when alerts are hostile: labels carrying terminal escapes,
 * line breaks and bidi overrides are printed escaped, on the line they belong to; a fingerprint
 * the payload sends is not trusted; an alert without a startsAt is refused by name. Also what
 * lint reads outside a policy repository, and scripts without their executable bit.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../engine/alerts/fingerprint.js';
import { HOSTILE, RAW_CONTROL } from '../helpers/hostile.js';
import { NOW, runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'homeostat-e2e-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alert(labels: Record<string, string>, sentFingerprint?: string) {
  return {
    status: 'firing', labels, annotations: {}, startsAt: '2026-11-21T07:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '',
    ...(sentFingerprint ? { fingerprint: sentFingerprint } : {}),
  };
}

function payloadFile(name: string, alerts: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ version: '4', status: 'firing', receiver: 'heal', groupKey: '{}:{}', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts }));
  return file;
}

const worker = { alertname: 'NodeHighCPU', heal: 'true', node: 'heal-worker', instance: '172.18.0.3:9100', evil: HOSTILE };
// Matches cordon-hot-worker; its node is the target and its instance the node's address, which
// is refused as neither an IP address nor a host name, so it is printed twice: as the target
// and in the reason.
const evilNode = `evil${HOSTILE}\u001b[2J\nrun               fake/line (kubernetes)\u0085\u2028`;
const forged = { alertname: 'NodeHighCPU', heal: 'true', node: evilNode, instance: `${evilNode}:9100` };
const named = { alertname: `Evil${HOSTILE}\nalert Fake [0000000000000000] firing` };

describe('text output escapes control characters from labels', () => {
  const file = payloadFile('hostile.json', [alert(worker), alert(forged), alert(named)]);

  it('simulate: one line per decision and one under it, every control character escaped', () => {
    const r = runCli(['simulate', '.', '--now', NOW, '--alerts', file]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const lines = r.stdout.trimEnd().split('\n');
    // The summary, the time of the decisions, and two lines each.
    expect(lines).toHaveLength(2 + 2 * 2);
    expect(lines[1]).toBe('at 2026-11-21T08:00:00Z');
    expect(lines[4]).toBe(`refused           cordon-hot-worker/cordon (kubernetes) target=evil\\u001b[31m\\n\\r\\u202e\\u001b[2J\\nrun               fake/line (kubernetes)\\u0085\\u2028 alert=NodeHighCPU[${fingerprint(forged)}] firing`);
    expect(lines[5]).toBe("                  node.address 'evil\\u001b[31m\\n\\r\\u202e\\u001b[2J\\nrun               fake/line (kubernetes)\\u0085\\u2028' is not an IP address or a host name");
  });

  it('simulate --format markdown: one table row per decision, escaped', () => {
    const r = runCli(['simulate', '.', '--now', NOW, '--format', 'markdown', '--alerts', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout.trimEnd().split('\n').filter((l) => l.startsWith('| 2026-11-21T08:00:00Z | `NodeHighCPU`'))).toHaveLength(2);
  });

  it('explain: one line per alert and per condition, escaped', () => {
    const r = runCli(['explain', '.', '--alerts', file, '--policy', 'cordon-hot-worker']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const alerts = r.stdout.split('\n').filter((l) => l.startsWith('alert '));
    expect(alerts).toEqual([
      `alert NodeHighCPU [${fingerprint(worker)}] firing`,
      `alert NodeHighCPU [${fingerprint(forged)}] firing`,
      `alert Evil\\u001b[31m\\n\\r\\u202e\\nalert Fake [0000000000000000] firing [${fingerprint(named)}] firing`,
    ]);
    // Each alert: its line, the policy line, the group and five conditions.
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3 * 8);
  });

  it('JSON output keeps the labels as they are, in JSON strings', () => {
    const r = runCli(['simulate', '.', '--now', NOW, '--format', 'json', '--alerts', file]);
    const decisions = JSON.parse(r.stdout).decisions as { target: string }[];
    expect(decisions.map((d) => d.target)).toEqual(['heal-worker', forged.node]);
  });

  it('a user error quoting a hostile value is one escaped line', () => {
    const r = runCli(['explain', '.', '--alerts', file, '--policy', `x${HOSTILE}y`]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    expect(r.stderr).toMatch(/^homeostat: --policy x\\u001b\[31m\\n\\r\\u202ey: no such policy in \.; known: /);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('a fingerprint sent with an alert', () => {
  it('is not trusted: two alerts with different labels and the same sent fingerprint are both decided', () => {
    const one = { alertname: 'NodeHighCPU', heal: 'true', node: 'worker-1', instance: '10.0.0.1:9100' };
    const two = { alertname: 'NodeHighCPU', heal: 'true', node: 'worker-2', instance: '10.0.0.2:9100' };
    const file = payloadFile('same-fingerprint.json', [alert(one, fingerprint(one)), alert(two, fingerprint(one))]);
    const r = runCli(['simulate', '.', '--now', NOW, '--format', 'json', '--alerts', file]);
    expect(r.status).toBe(0);
    const decisions = JSON.parse(r.stdout).decisions as { alert: { fingerprint: string }; target: string; verdict: string }[];
    expect(decisions.map((d) => [d.alert.fingerprint, d.target, d.verdict])).toEqual([
      [fingerprint(one), 'worker-1', 'run'],
      [fingerprint(two), 'worker-2', 'run'],
    ]);
  });
});

describe('an alert without a startsAt that is a date', () => {
  it.each([
    ['without startsAt', undefined],
    ['with a startsAt that is not a date', 'last tuesday'],
  ])('is refused, naming the alert by index and alertname: %s', (_, startsAt) => {
    const { startsAt: _dropped, ...undated } = alert({ alertname: 'ServiceDown', instance: 'web-1:9100' });
    const file = payloadFile('undated.json', [alert({ alertname: 'NodeHighCPU' }), startsAt === undefined ? undated : { ...undated, startsAt }]);
    const r = runCli(['simulate', '.', '--now', NOW, '--alerts', file]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: '' });
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('HST_PAYLOAD_INVALID');
    expect(r.stderr).toContain(startsAt === undefined ? 'alerts[1] (alertname "ServiceDown"): missing required field \'startsAt\'' : 'alerts[1] (alertname "ServiceDown"): startsAt must match format "date-time"');
  });
});

describe('lint outside a policy repository', () => {
  it('does not read node_modules (nor hidden folders) of a folder without rules/', () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules', 'some-package'), { recursive: true });
    mkdirSync(join(project, '.github'), { recursive: true });
    writeFileSync(join(project, 'node_modules', 'some-package', 'config.yml'), 'not: a policy\n');
    writeFileSync(join(project, '.github', 'ci.yml'), 'on: push\n');
    writeFileSync(join(project, 'policy.yaml'), "apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: p }\nspec:\n  match: { alertname: X }\n  actions:\n    - name: a\n      http: { url: 'https://hooks.example/heal' }\n");
    const r = runCli(['lint', project]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    // One policy file read, node_modules and .github left alone (an http action is executed: no warning).
    expect(r.stdout).toBe('ok: 1 file, 1 policy, 0 test files\n');
  });
});

describe('a script without its executable bit', () => {
  it('fails lint with the command that fixes it, before anything runs', () => {
    const repo = join(dir, 'modes');
    mkdirSync(join(repo, 'rules'), { recursive: true });
    mkdirSync(join(repo, 'scripts'));
    writeFileSync(join(repo, 'rules', 'fix.yaml'), 'apiVersion: homeostat/v1\nkind: Policy\nmetadata: { name: fix }\nspec:\n  match: { alertname: X }\n  actions:\n    - name: a\n      script: { path: scripts/fix.sh }\n');
    writeFileSync(join(repo, 'scripts', 'fix.sh'), '#!/bin/sh\necho fixed\n');
    chmodSync(join(repo, 'scripts', 'fix.sh'), 0o644);
    const r = runCli(['lint', repo]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      "rules/fix.yaml:8:23 error HST_FILE_NOT_EXECUTABLE script 'scripts/fix.sh' is not executable, so it cannot run\n" +
        '    hint: make it executable: chmod +x scripts/fix.sh (at /spec/actions/0/script/path)\n' +
        '1 problem in 1 file, 1 policy, 0 test files\n',
    );
  });
});
