/**
 * A policy directory followed by its watcher alone (chokidar on the folders, no load asked
 * for): an edited policy, a new file in a subfolder, homeostat.yaml and a script each bring a
 * new revision in; a file beside the repository that is not part of it does not.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { removeTestEngine, startTestEngine, waitFor } from '../helpers/engine.js';
import type { TestEngine } from '../helpers/engine.js';
import { policyYaml, settingsYaml } from '../helpers/policies.js';

const policy = (name: string) => policyYaml(name, `
  match: { alertname: ${name} }
  actions:
    - name: restart
      script: { path: scripts/restart.sh }
`);

let t: TestEngine;
afterAll(async () => {
  await t.close();
  removeTestEngine(t);
});

it('reloads by itself when a policy, a nested policy file, homeostat.yaml or a script changes', async () => {
  t = await startTestEngine({ files: { 'homeostat.yaml': settingsYaml('dryRun: true'), 'rules/a.yaml': policy('a'), 'scripts/restart.sh': '#!/bin/sh\nexit 0\n' } });
  const revision = () => t.engine.status().policies.revision;
  const changes: [string, () => void][] = [
    ['an edited policy', () => appendFileSync(join(t.repoDir, 'rules/a.yaml'), '# edited\n')],
    ['a new policy in a new subfolder', () => {
      mkdirSync(join(t.repoDir, 'rules/team'), { recursive: true });
      writeFileSync(join(t.repoDir, 'rules/team/b.yaml'), policy('b'));
    }],
    ['homeostat.yaml', () => appendFileSync(join(t.repoDir, 'homeostat.yaml'), '# edited\n')],
  ];
  for (const [what, change] of changes) {
    const before = revision();
    change();
    await waitFor(() => revision() !== before, `a reload after ${what}`, 10_000);
  }
  expect(t.engine.status().policies.count).toBe(2);

  // A script is not part of the content revision, but it is read again: the load is asked for.
  const loads = () => t.engine.status().policies.lastLoad!.at;
  const lastLoad = loads();
  appendFileSync(join(t.repoDir, 'scripts/restart.sh'), '# edited\n');
  await waitFor(() => loads() !== lastLoad, 'a load after a script changed', 10_000);

  // Beside the repository, not in it: no load.
  const quiet = loads();
  writeFileSync(join(t.repoDir, 'NOTES.md'), 'not a policy\n');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(loads()).toBe(quiet);
});
