/**
 * A policy repository read at a git revision (engine/load/git-revision.ts), against real
 * repositories: what it refuses to read, and the folders it reads from.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRevision, RevisionError } from '../../engine/load/git-revision.js';
import { gitSandbox } from '../helpers/git.js';
import { createWorkTree } from '../helpers/git-remote.js';
import { policyYaml } from '../helpers/policies.js';

const sandbox = gitSandbox('homeostat-git-revision-');

const POLICY = policyYaml('restart', `
  match: { alertname: ServiceDown }
  actions:
    - name: restart
      script: { path: scripts/restart.sh }
`);

describe('loadRevision', () => {
  it('refuses a revision holding a path no checkout would write, even where no fetch checked it', async () => {
    const tree = createWorkTree(sandbox.path('crafted'), { 'rules/restart.yaml': POLICY, 'scripts/restart.sh': '#!/bin/sh\n' });
    const blob = tree.git('hash-object', '-w', '--stdin', '--path', 'x').trim();
    const inner = execFileSync('git', ['-C', tree.dir, 'mktree'], { input: `100644 blob ${blob}\tx\n`, encoding: 'utf8' }).trim();
    const listing = tree.git('ls-tree', 'HEAD') + `040000 tree ${inner}\t..\n`;
    const top = execFileSync('git', ['-C', tree.dir, 'mktree'], { input: listing, encoding: 'utf8' }).trim();
    const crafted = tree.git('commit-tree', top, '-p', 'HEAD', '-m', 'crafted').trim();

    await expect(loadRevision(tree.dir, crafted)).rejects.toThrow(new RevisionError(`${crafted.slice(0, 12)} holds the path "../x", with a name ('', '.', '..' or '.git') no checkout would write; refused`));
    await expect(loadRevision(tree.dir, 'HEAD')).resolves.toMatchObject({ repo: { rulesPath: 'rules', base: '' } });
  });

  it('names a folder or file given as DIR that cannot be read, and a folder the revision lacks', async () => {
    const tree = createWorkTree(sandbox.path('folders'), { 'ops/rules/restart.yaml': POLICY, 'ops/scripts/restart.sh': '#!/bin/sh\n' });
    writeFileSync(join(tree.dir, 'notes.txt'), 'not a folder\n');
    await expect(loadRevision(join(tree.dir, 'missing'), 'HEAD')).rejects.toThrow(/missing: no such directory; give a folder of the git repository/);
    await expect(loadRevision(join(tree.dir, 'notes.txt'), 'HEAD')).rejects.toThrow(/notes\.txt: is a file; give a folder of the git repository/);
    await expect(loadRevision(join(tree.dir, 'ops'), 'HEAD')).resolves.toMatchObject({ repo: { base: 'ops', rulesPath: 'rules' } });
    // A folder of the working tree that the revision does not have yet.
    mkdirSync(join(tree.dir, 'later'));
    await expect(loadRevision(join(tree.dir, 'later'), 'HEAD')).rejects.toThrow('later: no such folder in this revision; give the folder that holds rules/ (or the rules folder itself)');
  });
});
