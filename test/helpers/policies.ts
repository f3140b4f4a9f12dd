/**
 * Policy sets for tests: from inline YAML documents (one policy per string, or several
 * '---' separated), or from the repository's own rules/ as `homeostat` would read them.
 */
import { readRepository } from '../../engine/load/read-dir.js';
import { loadRepository } from '../../engine/load/repository.js';
import type { LoadResult } from '../../engine/load/repository.js';
import type { PolicySet } from '../../engine/policy/types.js';
import { packageRoot } from '../../engine/util/package-root.js';

export interface InlineRepository {
  /** A homeostat.yaml (kind: Settings) document, if any. */
  settings?: string;
  revision?: string;
  /** Which referenced files (playbooks, scripts) exist; by default every one does. */
  exists?: (path: string) => boolean;
}

/** Loads inline YAML policies as files rules/p0.yaml, rules/p1.yaml, …; diagnostics included. */
export function loadInline(policies: string | readonly string[], options: InlineRepository = {}): LoadResult {
  const docs = typeof policies === 'string' ? [policies] : policies;
  const files = docs.map((text, i) => ({ path: `rules/p${i}.yaml`, text }));
  if (options.settings !== undefined) files.unshift({ path: 'homeostat.yaml', text: options.settings });
  return loadRepository({ files, exists: options.exists ?? (() => true), revision: options.revision ?? 'test-revision' });
}

/** The compiled set of inline YAML policies; throws with every diagnostic when they do not load. */
export function policySet(policies: string | readonly string[], options: InlineRepository = {}): PolicySet {
  return orThrow(loadInline(policies, options));
}

/**
 * The compiled set of this repository's own rules/ (the default `homeostat serve` runs),
 * read from disk by the same adapter as the CLI; `extra` policies are added as rules/zz-N.yaml.
 */
export function bundledPolicySet(extra: readonly string[] = []): PolicySet {
  const repository = readRepository(packageRoot());
  const files = [...repository.files, ...extra.map((text, i) => ({ path: `rules/zz-${i}.yaml`, text }))];
  return orThrow(loadRepository({ ...repository, files }));
}

function orThrow(result: LoadResult): PolicySet {
  if (result.policySet) return result.policySet;
  const lines = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`);
  throw new Error(`policies do not load:\n${lines.join('\n')}`);
}

/**
 * A policy document named `name` whose spec is the given YAML blocks, in order; each block is
 * dedented on its own, so that blocks written at different indentations can be combined.
 */
export function policyYaml(name: string, ...spec: string[]): string {
  const lines = spec.flatMap((block) => dedent(block).split('\n')).map((line) => (line ? `  ${line}` : line));
  return `apiVersion: homeostat/v1\nkind: Policy\nmetadata:\n  name: ${name}\nspec:\n${lines.join('\n')}\n`;
}

/** A homeostat.yaml (kind: Settings) whose spec is the given YAML block. */
export function settingsYaml(spec: string): string {
  const lines = dedent(spec).split('\n').map((line) => (line ? `  ${line}` : line));
  return `apiVersion: homeostat/v1\nkind: Settings\nspec:\n${lines.join('\n')}\n`;
}

function dedent(block: string): string {
  const lines = block.replace(/^\s*\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent).trimEnd()).join('\n');
}
