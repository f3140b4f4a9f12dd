/**
 * `homeostat simulate` (the built CLI, this project's own rules/) over a timeline of real
 * payloads shows what the engine decides when a firing arrives after its resolution (issue 10,
 * item 4): the worker's resolution first, then its firing re-sent by a lagging peer.
 */
import { describe, expect, it } from 'vitest';
import { AM, project, simulateJson } from './run-cli.js';

const FIRING = `${AM}/node-high-cpu-worker-and-control-plane.json`;
const RESOLVED = 'test/fixtures/cli/node-high-cpu-resolved.json';

describe('simulate: a firing after its resolution', () => {
  it('uncordons on the resolution; a re-sent firing of a decided alert stays a duplicate (control)', () => {
    const s = simulateJson([FIRING, RESOLVED, RESOLVED, FIRING]);
    expect(s.decisions.map(project)).toEqual([
      { fingerprint: 'c4aad7c976dc4563', status: 'firing', policy: 'cordon-hot-worker', action: 'cordon', type: 'kubernetes', target: 'heal-worker', verdict: 'run', refusedBy: null },
      { fingerprint: 'c4aad7c976dc4563', status: 'resolved', policy: 'cordon-hot-worker', action: 'uncordon', type: 'kubernetes', target: 'heal-worker', verdict: 'run', refusedBy: null },
      { fingerprint: 'c4aad7c976dc4563', status: 'resolved', policy: 'cordon-hot-worker', action: 'uncordon', type: 'kubernetes', target: 'heal-worker', verdict: 'refused', refusedBy: 'duplicate' },
      { fingerprint: 'c4aad7c976dc4563', status: 'firing', policy: 'cordon-hot-worker', action: 'cordon', type: 'kubernetes', target: 'heal-worker', verdict: 'refused', refusedBy: 'duplicate' },
    ]);
  });

  it('refuses a firing that arrives after a resolution seen alone, saying why', () => {
    const s = simulateJson([RESOLVED, FIRING]);
    expect(s.decisions.map(project)).toEqual([
      { fingerprint: 'c4aad7c976dc4563', status: 'resolved', policy: 'cordon-hot-worker', action: 'uncordon', type: 'kubernetes', target: 'heal-worker', verdict: 'run', refusedBy: null },
      { fingerprint: 'c4aad7c976dc4563', status: 'firing', policy: 'cordon-hot-worker', action: 'cordon', type: 'kubernetes', target: 'heal-worker', verdict: 'refused', refusedBy: 'resolved' },
    ]);
    expect(s.decisions[1]!.reason).toBe(
      'resolved: alert c4aad7c976dc4563 (startsAt 2026-11-21T07:10:19Z) was already seen resolved; a firing that arrives after its resolution (a lagging Alertmanager peer, an old group re-sent) is never remediated again',
    );
  });
});
