/**
 * `homeostat init [DIR]`: a policy repository to start from: settings, an example policy with
 * its test and the alert it is tested on (also the recorded alert `diff` runs), the playbook
 * it runs, and the GitHub workflow that reviews pull requests. Every YAML file names its
 * schema for editors. Nothing is overwritten without --force: when any file exists, none is
 * written.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Io } from '../io.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import { packageRoot } from '../../util/package-root.js';
import { count } from '../../util/count.js';

/** Files taken from the package as they are, beside the templates: the example's playbook. */
const FROM_PACKAGE = ['playbooks/restart_service.yml'];

function templateFiles(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** The files init writes, by path in the new repository, with their text. */
export function scaffold(): Map<string, string> {
  const root = packageRoot();
  const templates = join(root, 'templates', 'init');
  const files = new Map<string, string>();
  for (const path of templateFiles(templates)) files.set(path, readFileSync(join(templates, path), 'utf8'));
  for (const path of FROM_PACKAGE) files.set(path, readFileSync(join(root, path), 'utf8'));
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function initCommand(dir: string, flags: { force?: boolean }, io: Io): number {
  const target = resolve(io.cwd, dir);
  const files = scaffold();
  const existing = [...files.keys()].filter((path) => existsSync(join(target, path)));
  if (existing.length && !flags.force) {
    const more = existing.length > 1 ? ` and ${count(existing.length - 1, 'more file')}` : '';
    const verb = existing.length > 1 ? 'already exist' : 'already exists';
    throw new UserError(`${dir}: ${existing[0]}${more} ${verb}; nothing was written; give --force to overwrite ${existing.length > 1 ? 'them' : 'it'}`);
  }
  for (const [path, text] of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), text);
  }
  for (const path of files.keys()) io.stdout(line`${existing.includes(path) ? 'overwrote' : 'wrote'} ${path}\n`);
  io.stdout(line`next: homeostat lint ${dir} && homeostat test ${dir}; commit, and pull requests get the review workflow (.github/workflows/homeostat.yml)\n`);
  return EXIT.ok;
}
