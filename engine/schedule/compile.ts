/**
 * Compiles a valid Schedule document. Its guards are a Policy's, resolved the same way, but
 * for the cooldown: Settings' default cooldown is for alerts (which repeat), a routine job's
 * cadence is its cron, so a schedule has a cooldown only when it says so.
 */
import type { Schedule, SettingsSpec } from '../generated/schema-types.js';
import { compileAction, ms, resolveGuards } from '../policy/compile.js';
import type { CompiledSchedule } from '../policy/types.js';

export const DEFAULT_STARTING_DEADLINE = '10m';

export function compileSchedule(parsed: Schedule, source: { file: string; line: number }, settings: SettingsSpec | undefined): CompiledSchedule {
  const doc = JSON.parse(JSON.stringify(parsed)) as Schedule; // its own strings, not slices of the file's text
  const spec = doc.spec;
  const inventory = spec.targets.inventory ?? settings?.defaults?.ansible?.inventory ?? null;
  const actionSettings: SettingsSpec = { ...settings, defaults: { ...settings?.defaults, ...(inventory ? { ansible: { inventory } } : {}) } };
  const defaults = { ...settings?.defaults?.guards, cooldown: '0s' };
  return {
    name: doc.metadata.name,
    source,
    cron: spec.cron.trim(),
    timezone: spec.timezone ?? 'UTC',
    targets: spec.targets.group !== undefined ? { group: spec.targets.group, inventory: inventory! } : { hosts: spec.targets.hosts ?? [] },
    inventory,
    concurrencyPolicy: spec.concurrencyPolicy ?? 'Forbid',
    startingDeadlineMs: ms(spec.startingDeadline ?? DEFAULT_STARTING_DEADLINE),
    actions: spec.actions.map((a) => compileAction(a, actionSettings)),
    guards: resolveGuards(spec.guards, defaults),
    dryRun: spec.dryRun ?? false,
  };
}
