/**
 * Templates are Liquid (liquidjs): strict variables, strict filters, own properties only, and
 * no file system, so a template can read the alert and nothing else. Labels are data: they
 * are values in the scope, never template source.
 */
import { Liquid } from 'liquidjs';
import type { Template } from 'liquidjs';

/** The root variables a template may use, and where `target` is not yet known. */
export const TEMPLATE_ROOTS = ['labels', 'annotations', 'alert', 'group', 'enrichment', 'target'] as const;
/** A notify sub-action's templates also see how its parent ended. */
export const NOTIFY_TEMPLATE_ROOTS = [...TEMPLATE_ROOTS, 'outcome'] as const;
/** The root variables of a routine job's templates (kind Schedule): there is no alert. */
export const SCHEDULE_ROOTS = ['schedule', 'run', 'target'] as const;
/** The root variable of the storm breaker's summary (homeostat.yaml stormBreaker.notify). */
export const STORM_ROOTS = ['storm'] as const;
export type TemplateRoot = (typeof NOTIFY_TEMPLATE_ROOTS)[number] | (typeof SCHEDULE_ROOTS)[number] | (typeof STORM_ROOTS)[number];

/** Tags a template may use; include, render, layout and the like would reach files. */
export const ALLOWED_TAGS = new Set(['if', 'elsif', 'else', 'endif', 'unless', 'endunless', 'case', 'when', 'endcase', 'for', 'endfor', 'raw', 'endraw', 'comment', 'endcomment', 'assign']);

const refuseFiles = {
  readFileSync(): string { throw new Error('templates have no file access'); },
  async readFile(): Promise<string> { throw new Error('templates have no file access'); },
  existsSync(): boolean { return false; },
  async exists(): Promise<boolean> { return false; },
  resolve(_root: string, file: string): string { return file; },
  async contains(): Promise<boolean> { return false; },
  sep: '/',
};

export const liquid = new Liquid({
  strictVariables: true,
  // `{% if labels.x %}` tests an optional label; everywhere else a missing one is an error.
  lenientIf: true,
  strictFilters: true,
  ownPropertyOnly: true,
  fs: refuseFiles,
  root: [],
  partials: [],
  layouts: [],
  relativeReference: false,
  dynamicPartials: false,
  jsTruthy: false,
  greedy: false,
  renderLimit: 2_000,
  parseLimit: 64 * 1024,
  memoryLimit: 1024 * 1024,
});

/** `{{ labels.instance | host }}`: the host part of host:port (IPv6 brackets removed). */
export function host(value: unknown): string {
  const text = String(value);
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return bracketed[1]!;
  const colons = text.split(':').length - 1;
  if (colons === 1) return text.replace(/:\d*$/, '');
  return text;
}

/** `{{ labels.pod | pod_deployment }}`: the Deployment a pod belongs to, by the ReplicaSet naming convention. */
export function podDeployment(value: unknown): string {
  const text = String(value);
  const match = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(text);
  if (!match) throw new Error(`'${text}' is not named like a Deployment's pod (NAME-HASH-XXXXX)`);
  return match[1]!;
}

/** The filters homeostat adds to Liquid's standard ones. */
export const FILTERS: ReadonlyMap<string, (value: unknown) => string> = new Map([
  ['host', host],
  ['pod_deployment', podDeployment],
]);
for (const [name, filter] of FILTERS) liquid.registerFilter(name, filter);

export type ParsedTemplate = Template[];
