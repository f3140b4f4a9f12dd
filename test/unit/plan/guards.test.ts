import { describe, expect, it } from 'vitest';
import { checkGuards } from '../../../engine/plan/guards.js';
import type { GuardContext, RuntimePause } from '../../../engine/plan/guards.js';
import { IndexedLedger } from '../../../engine/plan/ledger.js';
import { policySet, policyYaml, settingsYaml } from '../../helpers/policies.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const POLICY = policyYaml('restart', `
  match: { alertname: ServiceDown }
  actions:
    - name: restart
      script: { path: scripts/fix.sh }
`);

function context(settings: string, pause: RuntimePause | null): GuardContext {
  const set = policySet(POLICY, { settings: settingsYaml(settings) });
  return { policy: set.policies[0]!, phase: 'actions', target: 'web-1', disruptive: true, settings: set.settings, ledger: new IndexedLedger(), now: NOW, pause };
}

describe('the paused guard', () => {
  const pause: RuntimePause = { by: 'alice', reason: 'incident 42', at: '2026-11-23T11:00:00.000Z', until: '2026-11-23T13:00:00.000Z' };

  it('refuses while the API pause is in force, saying who, why and until when', () => {
    expect(checkGuards(context('paused: false', pause))).toEqual({ guard: 'paused', reason: 'paused by alice at 2026-11-23T11:00:00.000Z until 2026-11-23T13:00:00.000Z: incident 42', until: Date.parse('2026-11-23T13:00:00.000Z') });
    expect(checkGuards(context('paused: false', { ...pause, until: null }))).toEqual({ guard: 'paused', reason: 'paused by alice at 2026-11-23T11:00:00.000Z until resumed: incident 42', until: null });
  });

  it('lets actions through once its until has passed, with no timer needed', () => {
    expect(checkGuards(context('paused: false', { ...pause, until: '2026-11-23T12:00:00.000Z' }))).toBeNull();
  });

  it("names homeostat.yaml's paused: true first: that switch wins", () => {
    expect(checkGuards(context('paused: true', pause))).toEqual({ guard: 'paused', reason: 'paused: homeostat.yaml sets paused: true', until: null });
  });
});
