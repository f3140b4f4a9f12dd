/**
 * The bundled routine checks (rules/routine-checks.yaml) in an engine on this repository, as
 * `serve --dry-run` runs them: the group's hosts listed from inventory/hosts.yml by
 * ansible-inventory, and the DNS check run by the real ansible-playbook in check mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { requireCommand } from '../helpers/processes.js';
import { packageRoot } from '../../engine/util/package-root.js';

let t: TestEngine | undefined;
afterEach(async () => (t = await closeTestEngine(t)));

describe('bundled schedules', () => {
  it('check-dns-nightly, run now, lists dns_servers from the inventory and checks localhost with ansible-playbook --check', async () => {
    requireCommand('ansible-playbook', 'ansible-core');
    const root = packageRoot();
    t = await startTestEngine({ files: {}, config: { policies: root, source: { kind: 'directory', dir: root }, dryRun: true, adminToken: 'bundled-admin' } });
    await waitFor(() => t!.engine.schedules.list().length === 2, 'the bundled schedules to be active');
    expect(t.engine.schedules.list().map((s) => [s.name, s.cron, s.timezone])).toEqual([
      ['check-dns-nightly', '30 3 * * *', 'Europe/Berlin'],
      ['check-services-morning', '0 6 * * 1-5', 'Europe/Berlin'],
    ]);
    const asked = await t.app.inject({ method: 'POST', url: '/api/v1/schedules/check-dns-nightly/run', headers: { authorization: 'Bearer bundled-admin', 'content-type': 'application/json' }, payload: '{"by":"test"}' });
    expect(asked.statusCode).toBe(202);
    const [run] = asked.json().runs as { id: string }[];
    const ended = await waitFor(() => {
      const entry = t!.engine.recent.get(run!.id);
      return entry?.outcome ? entry : undefined;
    }, 'the check to end', 120_000);
    expect(ended).toMatchObject({ kind: 'run', target: 'localhost', verdict: 'dry-run', outcome: 'succeeded', schedule: { name: 'check-dns-nightly', trigger: 'manual', by: 'test' } });
    expect(ended.execution!.command).toEqual(expect.arrayContaining(['--limit=localhost', '--check']));
    expect(ended.execution!.output).toMatch(/DNS ok on localhost/);
  });
});
