/**
 * `homeostat simulate` (the built CLI) says which guard refused each action and until when,
 * in text, markdown and JSON: a cooldown and a blast radius over the captured 408-alert storm.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../engine/util/package-root.js';
import { payload, writeRepo } from '../helpers/engine.js';
import { restartNodeRepo } from '../helpers/restart-node.js';
import { NOW, runCli } from './run-cli.js';

const STORM = join(packageRoot(), '..', 'shared', 'fixtures', 'alertmanager', 'storm-first-408.json');
const root = mkdtempSync(join(tmpdir(), 'homeostat-simulate-until-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

writeRepo(root, restartNodeRepo({ settings: '  blastRadius: { max: 3, per: 10m }\n', guards: '{ cooldown: 1h }' }));

describe('simulate: the storm breaker', () => {
  const stormy = join(root, 'stormy');
  const settings = "  stormBreaker:\n    alerts: 100\n    per: 5m\n    quietFor: 10m\n    notify: { http: { url: 'https://hooks.example/storm' } }\n";
  writeRepo(stormy, restartNodeRepo({ settings, guards: '{ cooldown: 0s }' }));

  it('refuses the storm by the breaker, until quiet; a payload after the quiet time runs', () => {
    const one = join(root, 'one.json');
    writeFileSync(one, JSON.stringify(payload({ alertname: 'ServiceDown', instance: 'web-1:9100' })));
    const json = runCli(['simulate', stormy, '--alerts', STORM, one, one, '--at', NOW, '+5m', '+20m', '--format', 'json']);
    expect(json.status).toBe(0);
    const { decisions } = JSON.parse(json.stdout) as { decisions: { target: string; verdict: string; refusedBy: string | null; until: string | null; reason: string | null }[] };
    expect(decisions).toHaveLength(410);
    const storm = decisions.slice(0, 408);
    expect(new Set(storm.map((d) => `${d.refusedBy} ${d.until}`))).toEqual(new Set(['storm 2026-11-21T08:10:00.000Z']));
    expect(storm[0]!.reason).toBe('storm breaker open since 2026-11-21T08:00:00.000Z (408 alerts in 5m, more than 100): no new disruptive action until the storm has been quiet for 10m, at the earliest 2026-11-21T08:10:00.000Z');
    // Five minutes later the breaker is still open; twenty minutes after that it has closed.
    expect(decisions.slice(408).map((d) => [d.target, d.verdict, d.refusedBy])).toEqual([['web-1', 'refused', 'storm'], ['web-1', 'run', null]]);
  });
});

describe('simulate: the until of each refusal', () => {
  it('gives the blast radius its until in every format', () => {
    const json = runCli(['simulate', root, '--alerts', STORM, '--now', NOW, '--format', 'json']);
    expect(json.status).toBe(0);
    const { decisions } = JSON.parse(json.stdout) as { decisions: { verdict: string; refusedBy: string | null; reason: string | null; until: string | null }[] };
    expect(decisions.filter((d) => d.verdict === 'run')).toHaveLength(3);
    const refused = decisions.filter((d) => d.verdict === 'refused');
    expect(refused).toHaveLength(405);
    expect(new Set(refused.map((d) => `${d.refusedBy} ${d.until} ${d.reason}`))).toEqual(new Set([
      'blast-radius 2026-11-21T08:10:00.001Z blast radius: 3 disruptive actions in 10m across all policies, until 2026-11-21T08:10:00.001Z',
    ]));
    const text = runCli(['simulate', root, '--alerts', STORM, '--now', NOW]);
    expect(text.stdout).toContain('blast radius: 3 disruptive actions in 10m across all policies, until 2026-11-21T08:10:00.001Z');
    const markdown = runCli(['simulate', root, '--alerts', STORM, '--now', NOW, '--format', 'markdown']);
    expect(markdown.stdout).toContain('until 2026-11-21T08:10:00.001Z');
  });

  it('gives the cooldown its until: a second alert for the same target', () => {
    const two = payload({ alertname: 'InstanceDown', instance: 'node-1:9100' }) as { alerts: { labels: Record<string, string> }[] };
    two.alerts.push({ ...two.alerts[0]!, labels: { alertname: 'InstanceDown', instance: 'node-1:9200' } });
    writeFileSync(join(root, 'two.json'), JSON.stringify(two));
    const json = runCli(['simulate', root, '--alerts', join(root, 'two.json'), '--now', NOW, '--format', 'json']);
    expect(json.status).toBe(0);
    const { decisions } = JSON.parse(json.stdout) as { decisions: { target: string; verdict: string; refusedBy: string | null; reason: string | null; until: string | null }[] };
    expect(decisions.map((d) => [d.target, d.verdict, d.refusedBy, d.until, d.reason])).toEqual([
      ['node-1', 'run', null, null, null],
      ['node-1', 'refused', 'cooldown', '2026-11-21T09:00:00.000Z', 'cooldown: restart-node decided an action for node-1 just now (cooldown 1h, until 2026-11-21T09:00:00.000Z)'],
    ]);
  });
});
