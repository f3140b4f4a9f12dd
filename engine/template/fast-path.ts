/**
 * Most policy templates are plain lookups: `{{ labels.instance | host }}`, `{{ target }}`,
 * `restart {{ labels.job }} on {{ target }}`, with at most an `{% if labels.x %}` choosing
 * between texts. Those render here without Liquid (a webhook storm renders a few per alert,
 * and Liquid's render loop is most of an alert's decision).
 *
 * The fast path answers only when it is sure to say what Liquid would say: text,
 * `{{ a.b.c }}` outputs with homeostat's own filters, every step an own property of a plain
 * object or a label map, the value a string; and `{% if a.b %}` / `{% elsif a.b %}` /
 * `{% else %}` / `{% endif %}` (with `-` whitespace control) whose condition is a string
 * (true, even when empty, as in Liquid) or a key its plain object or label map does not have
 * (false: liquid.ts sets lenientIf). Anything else — a missing label in an output, a number,
 * a filter that throws, another tag, whitespace control on an output — returns undefined (or
 * null at compile time), and the caller renders with Liquid, whose answer (or error message)
 * is then the one given.
 */
import { isLabelMap } from '../alerts/labels.js';
import { FILTERS } from './liquid.js';

export type FastRender = (scope: object) => string | undefined;

const LIQUID_KEYS = new Set(['size', 'first', 'last']);

type Output = { path: readonly string[]; filters: readonly ((value: unknown) => string)[] };
type Branch = { path: readonly string[] | null; body: Node[] };
type Node = string | Output | { branches: Branch[] };
type Token = string | Output | { tag: 'if' | 'elsif' | 'else' | 'endif'; path: readonly string[] | null; trimLeft: boolean; trimRight: boolean };

const PATH = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*';
const TOKEN = new RegExp(`\\{\\{\\s*(${PATH})((?:\\s*\\|\\s*[A-Za-z_][A-Za-z0-9_]*)*)\\s*\\}\\}|\\{%(-?)\\s*(if|elsif|else|endif)(?:\\s+(${PATH}))?\\s*(-?)%\\}`, 'g');

/** A renderer for a template of text, plain lookups and simple ifs, or null when Liquid must render it. */
export function fastPath(source: string): FastRender | null {
  const tokens = tokenize(source);
  if (!tokens) return null;
  const nodes = build(tokens);
  return nodes ? (scope) => render(nodes, scope) : null;
}

function tokenize(source: string): Token[] | null {
  const tokens: Token[] = [];
  let at = 0;
  for (const m of source.matchAll(TOKEN)) {
    if (!plainText(source.slice(at, m.index))) return null;
    if (m.index > at) tokens.push(source.slice(at, m.index));
    at = m.index + m[0].length;
    if (m[4] !== undefined) {
      const tag = m[4] as 'if' | 'elsif' | 'else' | 'endif';
      const path = m[5] === undefined ? null : m[5].split('.');
      if ((path === null) !== (tag === 'else' || tag === 'endif')) return null;
      if (path?.some((key) => LIQUID_KEYS.has(key))) return null;
      tokens.push({ tag, path, trimLeft: m[3] === '-', trimRight: m[6] === '-' });
      continue;
    }
    const filters: ((value: unknown) => string)[] = [];
    for (const name of m[2]!.split('|').slice(1).map((f) => f.trim())) {
      const filter = FILTERS.get(name);
      if (!filter) return null;
      filters.push(filter);
    }
    const path = m[1]!.split('.');
    // Liquid answers these keys itself (an object's size, first, last), whatever the object holds.
    if (path.some((key) => LIQUID_KEYS.has(key))) return null;
    tokens.push({ path, filters });
  }
  if (!plainText(source.slice(at))) return null;
  if (at < source.length) tokens.push(source.slice(at));
  // Whitespace control as liquid.ts configures it (greedy: false): `{%-` trims the text just
  // before of spaces, tabs and carriage returns; `-%}` trims those after it, then one newline.
  return tokens.map((token, i) => {
    if (typeof token !== 'string') return token;
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    let text = token;
    if (before && typeof before !== 'string' && 'tag' in before && before.trimRight) text = text.replace(/^[ \t\r]*\n?/, '');
    if (after && typeof after !== 'string' && 'tag' in after && after.trimLeft) text = text.replace(/[ \t\r]*$/, '');
    return text;
  });
}

/** The tokens as a tree of ifs; null when the tags do not nest as if … elsif … else … endif. */
function build(tokens: readonly Token[]): Node[] | null {
  const root: Node[] = [];
  // Each open if, and the body its tokens go into now.
  const open: { node: { branches: Branch[] }; elsed: boolean }[] = [];
  let body = root;
  for (const token of tokens) {
    if (typeof token === 'string' || !('tag' in token)) {
      if (token !== '') body.push(token);
      continue;
    }
    const top = open.at(-1);
    if (token.tag === 'if') {
      const node = { branches: [{ path: token.path, body: [] }] };
      body.push(node);
      open.push({ node, elsed: false });
      body = node.branches[0]!.body;
      continue;
    }
    if (!top) return null;
    if (token.tag === 'endif') {
      open.pop();
      const outer = open.at(-1);
      body = outer ? outer.node.branches.at(-1)!.body : root;
      continue;
    }
    if (top.elsed) return null; // nothing follows an else but endif
    const branch: Branch = { path: token.path, body: [] };
    top.node.branches.push(branch);
    top.elsed = token.tag === 'else';
    body = branch.body;
  }
  return open.length === 0 ? root : null;
}

function render(nodes: readonly Node[], scope: object): string | undefined {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') {
      out += node;
      continue;
    }
    if ('branches' in node) {
      let taken: Branch | undefined;
      for (const branch of node.branches) {
        const holds = branch.path === null ? true : truth(scope, branch.path);
        if (holds === undefined) return undefined;
        if (holds) {
          taken = branch;
          break;
        }
      }
      if (taken) {
        const text = render(taken.body, scope);
        if (text === undefined) return undefined;
        out += text;
      }
      continue;
    }
    let value = lookup(scope, node.path);
    if (value === undefined) return undefined;
    try {
      for (const filter of node.filters) value = filter(value);
    } catch {
      return undefined;
    }
    out += value;
  }
  return out;
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

/**
 * What `{% if path %}` decides: true for a string (Liquid's only false values are false and
 * nil), false for a last key its plain object or label map does not have (nil, and lenientIf
 * keeps it from being an error); undefined (ask Liquid) for anything else.
 */
function truth(scope: object, path: readonly string[]): boolean | undefined {
  let value: unknown = scope;
  for (const [i, key] of path.entries()) {
    if (!plainObject(value)) return undefined;
    if (!Object.hasOwn(value, key)) return i === path.length - 1 ? false : undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'string' ? true : undefined;
}

// What Liquid reads as a plain hash: no drop (toLiquid, liquidMethodMissing), no class instance.
function plainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (isLabelMap(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !('toLiquid' in value) && !('liquidMethodMissing' in value);
}
