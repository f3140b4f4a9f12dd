/**
 * Most policy templates are plain lookups: `{{ labels.instance | host }}`, `{{ target }}`,
 * `restart {{ labels.job }} on {{ target }}`. Those render here without Liquid (a webhook
 * storm renders a few per alert, and Liquid's render loop is most of an alert's decision).
 *
 * The fast path answers only when it is sure to say what Liquid would say: text and
 * `{{ a.b.c }}` outputs with homeostat's own filters, every step an own property of a plain
 * object or a label map, the value a string. Anything else — a missing label, a number, a
 * filter that throws, a tag, whitespace control — returns undefined, and the caller renders
 * with Liquid, whose answer (or error message) is then the one given.
 */
import { isLabelMap } from '../alerts/labels.js';
import { FILTERS } from './liquid.js';

export type FastRender = (scope: object) => string | undefined;

const LIQUID_KEYS = new Set(['size', 'first', 'last']);

type Part = string | { path: readonly string[]; filters: readonly ((value: unknown) => string)[] };

const OUTPUT = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s*\|\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/** A renderer for a template of text and plain lookups, or null when Liquid must render it. */
export function fastPath(source: string): FastRender | null {
  const parts: Part[] = [];
  let at = 0;
  for (const m of source.matchAll(OUTPUT)) {
    if (!plainText(source.slice(at, m.index))) return null;
    if (m.index > at) parts.push(source.slice(at, m.index));
    const filters: ((value: unknown) => string)[] = [];
    for (const name of m[2]!.split('|').slice(1).map((f) => f.trim())) {
      const filter = FILTERS.get(name);
      if (!filter) return null;
      filters.push(filter);
    }
    const path = m[1]!.split('.');
    // Liquid answers these keys itself (an object's size, first, last), whatever the object holds.
    if (path.some((key) => LIQUID_KEYS.has(key))) return null;
    parts.push({ path, filters });
    at = m.index + m[0].length;
  }
  if (!plainText(source.slice(at))) return null;
  if (at < source.length) parts.push(source.slice(at));
  return (scope) => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      let value = lookup(scope, part.path);
      if (value === undefined) return undefined;
      try {
        for (const filter of part.filters) value = filter(value);
      } catch {
        return undefined;
      }
      out += value;
    }
    return out;
  };
}

// Text with no Liquid syntax at all left in it (a stray `{{`, `{%` or `}}` goes to Liquid).
function plainText(text: string): boolean {
  return !text.includes('{') && !text.includes('}');
}

function lookup(scope: object, path: readonly string[]): string | undefined {
  let value: unknown = scope;
  for (const key of path) {
    if (!plainObject(value) || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? value : undefined;
}

// What Liquid reads as a plain hash: no drop (toLiquid, liquidMethodMissing), no class instance.
function plainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (isLabelMap(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !('toLiquid' in value) && !('liquidMethodMissing' in value);
}
