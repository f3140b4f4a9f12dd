/**
 * Lint of what the node guards read: homeostat.yaml's minHealthy (its inventory exists, its
 * selector parses) and protected (selectors parse, regexes run on RE2), and an action's
 * disruptsNode (only where a node can be taken out of service by the policy's say-so).
 */
import type { Problem } from '../diagnostics/diagnostic.js';
import { pointerOf } from '../diagnostics/diagnostic.js';
import { checkFile, checkPattern } from './checks.js';
import type { Refer } from './checks.js';
import { parseLabelSelector } from './label-selector.js';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nodeSettingsProblems(spec: Obj, refer: Refer): Problem[] {
  const problems: Problem[] = [];
  const source = isObj(spec.minHealthy) && isObj(spec.minHealthy.source) ? spec.minHealthy.source : null;
  if (source && isObj(source.kubernetes)) problems.push(...selectorProblems(source.kubernetes.selector, ['spec', 'minHealthy', 'source', 'kubernetes', 'selector']));
  if (source && isObj(source.inventory) && typeof source.inventory.path === 'string') {
    problems.push(...checkFile(source.inventory.path, 'inventory', ['spec', 'minHealthy', 'source', 'inventory', 'path'], refer));
  }
  if (isObj(spec.protected)) {
    problems.push(...selectorProblems(spec.protected.selector, ['spec', 'protected', 'selector']));
    const targets = spec.protected.targets;
    if (Array.isArray(targets)) {
      targets.forEach((t, i) => {
        if (isObj(t) && typeof t.regex === 'string') problems.push(...checkPattern(t.regex, ['spec', 'protected', 'targets', i, 'regex']));
      });
    }
  }
  return problems;
}

function selectorProblems(text: unknown, path: (string | number)[]): Problem[] {
  if (typeof text !== 'string') return [];
  const parsed = parseLabelSelector(text);
  if (!('error' in parsed)) return [];
  return [{ pointer: pointerOf(path), code: 'HST_SELECTOR_INVALID', message: `label selector '${text}' does not parse: ${parsed.error}`, hint: 'write requirements as kubectl get nodes -l takes them, joined by commas: key=value, key!=value, key in (a,b), key notin (a), key, !key' }];
}

/** The types whose runs a policy may say take their node out of service; kubernetes says it by its operation. */
const MAY_DISRUPT_NODE = new Set(['ansible', 'script']);

export function disruptsNodeProblems(action: Obj, type: string, path: (string | number)[]): Problem[] {
  if (action.disruptsNode === undefined || MAY_DISRUPT_NODE.has(type)) return [];
  const hint = type === 'kubernetes'
    ? 'remove it: cordon and drain count against minHealthy by themselves, and the other operations do not take a node out of service'
    : 'remove it: only ansible and script actions may be marked; a notification takes no node out of service';
  return [{ pointer: pointerOf([...path, 'disruptsNode']), code: 'HST_DISRUPTS_NODE_TYPE', message: `disruptsNode on a ${type} action`, hint }];
}
