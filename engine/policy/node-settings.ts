/**
 * homeostat.yaml's minHealthy and protected, resolved for the guards (engine/plan/node-guards.ts).
 * Pure: the schema and checks ran first (lint reports a selector or regex that does not parse).
 */
import type { SettingsSpec } from '../generated/schema-types.js';
import { parseDuration } from '../util/duration.js';
import { parseLabelSelector } from './label-selector.js';
import type { LabelSelector } from './label-selector.js';
import { compileTargetPattern } from './target-pattern.js';
import type { HealthSourceSettings, MinHealthySettings, ProtectedSettings } from './types.js';

export const DEFAULT_HEALTH_WINDOW = '30m';
export const DEFAULT_HEALTH_CACHE = '10s';
export const DEFAULT_HEALTH_LABEL = 'instance';

export function resolveMinHealthy(spec: SettingsSpec['minHealthy']): MinHealthySettings | null {
  if (!spec) return null;
  const written = String(spec.nodes);
  const nodes = typeof spec.nodes === 'number' ? { count: spec.nodes } : { percent: Number(spec.nodes.slice(0, -1)) };
  return {
    written,
    nodes,
    source: resolveSource(spec.source),
    windowMs: duration(spec.window ?? DEFAULT_HEALTH_WINDOW),
    cacheForMs: duration(spec.cacheFor ?? DEFAULT_HEALTH_CACHE),
  };
}

function resolveSource(source: NonNullable<SettingsSpec['minHealthy']>['source']): HealthSourceSettings {
  if (source?.prometheus) return { kind: 'prometheus', query: source.prometheus.query, label: source.prometheus.label ?? DEFAULT_HEALTH_LABEL };
  if (source?.inventory) return { kind: 'inventory', path: source.inventory.path, group: source.inventory.group ?? null };
  return { kind: 'kubernetes', selector: source?.kubernetes?.selector ? selector(source.kubernetes.selector) : null };
}

export function resolveProtected(spec: SettingsSpec['protected']): ProtectedSettings {
  return {
    targets: Object.freeze((spec?.targets ?? []).map(compileTargetPattern)),
    selector: spec?.selector ? selector(spec.selector) : null,
  };
}

/** The nodes minHealthy requires of `total` counted: a count as written, a percentage rounded up (as medik8s does). */
export function requiredNodes(settings: MinHealthySettings, total: number): number {
  return 'count' in settings.nodes ? settings.nodes.count : Math.ceil((settings.nodes.percent * total) / 100);
}

function selector(text: string): LabelSelector {
  const parsed = parseLabelSelector(text);
  if ('error' in parsed) throw new Error(`label selector '${text}' with problems reached the compiler: ${parsed.error}`);
  return parsed;
}

function duration(text: string): number {
  const value = parseDuration(text);
  if (value === null) throw new Error(`invalid duration ${text} reached the compiler`);
  return value;
}
