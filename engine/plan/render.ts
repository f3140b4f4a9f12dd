import { pointerOf } from '../diagnostics/diagnostic.js';
import type { CompiledAction } from '../policy/types.js';
import { renderTemplate } from '../template/template.js';

/** The parameters with every template rendered; secret references and literals stay as written. */
export function renderParams(action: CompiledAction, scope: object): Record<string, unknown> {
  const walk = (value: unknown, at: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      const template = action.templates.get(pointerOf(at));
      return template ? renderTemplate(template, scope) : value;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...at, i]));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...at, k])]));
    }
    return value;
  };
  return walk(action.raw, []) as Record<string, unknown>;
}
