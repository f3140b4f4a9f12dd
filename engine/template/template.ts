import { Context } from 'liquidjs';
import { isLabelMap } from '../alerts/labels.js';
import { fastPath } from './fast-path.js';
import type { FastRender } from './fast-path.js';
import { liquid, ALLOWED_TAGS, TEMPLATE_ROOTS } from './liquid.js';
import type { ParsedTemplate, TemplateRoot } from './liquid.js';

/** Liquid answers `.size`/`.first`/`.last` of any object; a label map answers only its own labels. */
class AlertContext extends Context {
  override readProperty(obj: unknown, key: unknown): unknown {
    if (isLabelMap(obj) && typeof key === 'string' && !Object.hasOwn(obj as object, key)) return undefined;
    return super.readProperty(obj as never, key as never);
  }
}

/** A string parameter of a policy: either plain text, or a parsed template. */
export interface CompiledTemplate {
  source: string;
  parsed: ParsedTemplate | null;
  roots: ReadonlySet<string>;
  /** Renders plain lookups without Liquid (fast-path.ts); null for templates only Liquid renders. */
  fast: FastRender | null;
}

export interface TemplateProblem {
  code: 'HST_TEMPLATE_SYNTAX' | 'HST_TEMPLATE_UNKNOWN_VARIABLE' | 'HST_TEMPLATE_FORBIDDEN';
  message: string;
  hint: string;
}

export function hasTemplateSyntax(text: string): boolean {
  return text.includes('{{') || text.includes('{%');
}

interface Parsed {
  parsed: ParsedTemplate | null;
  fast: FastRender | null;
  used: ReadonlySet<string>;
  problems: TemplateProblem[];
  /** The compiled template, one object however many policies use it. */
  template: CompiledTemplate | null;
}

/** Policies repeat the same templates; each distinct one is parsed and analysed once. */
const parsedBySource = new Map<string, Parsed>();

function parse(source: string): Parsed {
  const cached = parsedBySource.get(source);
  if (cached) return cached;
  const result = parseUncached(source);
  parsedBySource.set(source, result);
  return result;
}

function parseUncached(source: string): Parsed {
  let parsed: ParsedTemplate;
  try {
    parsed = liquid.parse(source);
  } catch (error) {
    return {
      parsed: null,
      fast: null,
      used: new Set(),
      template: null,
      problems: [{ code: 'HST_TEMPLATE_SYNTAX', message: `template does not parse: ${firstLine(error)}`, hint: 'check the {{ }} and {% %} pairs and the filter names (host, pod_deployment and the Liquid standard filters)' }],
    };
  }
  const forbidden: TemplateProblem[] = tagNames(source)
    .filter((tag) => !ALLOWED_TAGS.has(tag))
    .map((tag) => ({ code: 'HST_TEMPLATE_FORBIDDEN', message: `tag '${tag}' is not allowed in a template`, hint: `use only ${[...ALLOWED_TAGS].filter((t) => !t.startsWith('end')).join(', ')}` }));
  // Analysis would follow include/render into the file system: never analyse those.
  if (forbidden.length) return { parsed: null, fast: null, used: new Set(), problems: forbidden, template: null };
  const used = new Set(liquid.globalVariableSegmentsSync(parsed).map((segments) => String(segments[0])));
  const fast = fastPath(source);
  return { parsed, fast, used, problems: [], template: Object.freeze({ source, parsed, roots: used, fast }) };
}

/** Parses a template and checks it; `roots` are the variables allowed where it stands. */
export function compileTemplate(
  source: string,
  roots: readonly TemplateRoot[] = TEMPLATE_ROOTS,
): { template: CompiledTemplate; problems: TemplateProblem[] } {
  if (!hasTemplateSyntax(source)) return { template: { source, parsed: null, roots: NO_ROOTS, fast: null }, problems: [] };
  const { parsed, fast, used, problems, template } = parse(source);
  if (problems.length) return { template: { source, parsed: null, roots: NO_ROOTS, fast: null }, problems };
  const unknown: TemplateProblem[] = [...used]
    .filter((root) => !(roots as readonly string[]).includes(root))
    .map((root) => ({ code: 'HST_TEMPLATE_UNKNOWN_VARIABLE', message: `template uses unknown variable '${root}'`, hint: `use one of ${roots.join(', ')}` }));
  return { template: template ?? { source, parsed, roots: used, fast }, problems: unknown };
}

const NO_ROOTS: ReadonlySet<string> = new Set();

function tagNames(source: string): string[] {
  return [...source.matchAll(/\{%-?\s*([A-Za-z_]+)/g)].map((m) => m[1]!);
}

function firstLine(error: unknown): string {
  return String((error as Error).message).split('\n')[0]!.replace(/, line:\d+, col:\d+$/, '');
}

export class TemplateRenderError extends Error {
  constructor(
    message: string,
    readonly missing: string | null,
  ) {
    super(message);
  }
}

/** Renders with strict variables: a missing label is an error, never an empty string. */
export function renderTemplate(template: CompiledTemplate, scope: object): string {
  if (!template.parsed) return template.source;
  const fast = template.fast?.(scope);
  if (fast !== undefined) return fast;
  try {
    return liquid.renderSync(template.parsed, new AlertContext(scope, liquid.options, { sync: true }, { liquid })) as string;
  } catch (error) {
    const message = firstLine(error);
    const undefinedVariable = /undefined variable: ([^,]+)/.exec(message);
    if (undefinedVariable) {
      const path = undefinedVariable[1]!;
      const label = /^labels\.(.+)$/.exec(path);
      throw new TemplateRenderError(label ? `label '${label[1]}' is missing` : `'${path}' is missing`, path);
    }
    throw new TemplateRenderError(`template failed: ${message}`, null);
  }
}
