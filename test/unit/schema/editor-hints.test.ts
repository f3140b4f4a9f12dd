/**
 * Every YAML file homeostat ships (its rules, playbooks, inventory and settings, the init templates, the
 * action) opens with the yaml-language-server hint, naming the schema of what it holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../engine/util/package-root.js';

const ROOT = packageRoot();

function yamlFiles(folder: string): string[] {
  return (readdirSync(join(ROOT, folder), { recursive: true }) as string[]).filter((p) => /\.ya?ml$/.test(p)).map((p) => `${folder}/${p}`);
}

/** The schema a file's hint must name, by what the file is. */
function expectedSchema(path: string, text: string): RegExp {
  if (path.startsWith('inventory/')) return /ansiblelint\/schemas\/inventory\.json$/;
  if (path.startsWith('playbooks/')) return /ansiblelint\/schemas\/ansible\.json#\/\$defs\/playbook$/;
  if (path.includes('.github/workflows/')) return /^https:\/\/json\.schemastore\.org\/github-workflow\.json$/;
  if (path === 'action.yml') return /^https:\/\/json\.schemastore\.org\/github-action\.json$/;
  const kind = /^kind: (\w+)$/m.exec(text)?.[1];
  const schema = { Policy: 'policy', PolicyTest: 'policy-test', Settings: 'settings', Schedule: 'schedule' }[kind ?? ''];
  if (!schema) throw new Error(`${path}: no kind`);
  return new RegExp(`(^|/)${schema}\\.schema\\.json$`);
}

describe('editor hints', () => {
  const files = [...yamlFiles('rules'), ...yamlFiles('playbooks'), ...yamlFiles('inventory'), ...yamlFiles('templates/init'), 'homeostat.yaml', 'action.yml'];

  it('cover the files init writes and the bundled ones', () => {
    expect(files).toEqual(expect.arrayContaining(['rules/stop-cpu-hog.yaml', 'templates/init/.github/workflows/homeostat.yml', 'templates/init/rules/restart-failed-service.test.yaml']));
  });

  it.each(files)('%s', (path) => {
    const text = readFileSync(join(ROOT, path), 'utf8');
    const hint = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
    expect(hint, `${path} starts with the hint`).not.toBeNull();
    expect(hint![1]).toMatch(expectedSchema(path, text));
  });
});
