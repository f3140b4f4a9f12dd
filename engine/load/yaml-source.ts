import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit } from 'yaml';
import type { Node } from 'yaml';
import type { Diagnostic, Problem } from '../diagnostics/diagnostic.js';
import { segmentsOf } from '../diagnostics/diagnostic.js';

/** Larger policy files are refused before they are parsed. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** The yaml package counts alias expansions; past this a document is an alias bomb. */
const MAX_ALIAS_COUNT = 100;

/** One YAML document of a file, with the positions its diagnostics need. */
export interface SourceDoc {
  file: string;
  index: number;
  value: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
  /**
   * The document had YAML problems other than duplicate keys (a syntax error, an unknown tag,
   * a merge key): its value is the parser's best reading, good for its kind and name (so that a
   * duplicate name is still found), not for checking. A duplicate key leaves a full value (the
   * last of the two keys), checked like any other, so that it hides none of the other problems.
   */
  partial: boolean;
}

export interface ParsedFile {
  docs: SourceDoc[];
  diagnostics: Diagnostic[];
}

/**
 * Parses a YAML file of one or more documents. Hostile input (alias bombs, duplicate and merge
 * keys, unknown tags, oversized files) becomes diagnostics; such a document yields a value only
 * within the alias limit, marked partial unless its only problems are duplicate keys.
 */
export function parseYamlFile(file: string, text: string): ParsedFile {
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    diagnostics.push({
      file, line: 1, col: 1, pointer: '', code: 'HST_FILE_TOO_LARGE', severity: 'error',
      message: `file is larger than ${MAX_FILE_BYTES} bytes`,
      hint: 'split the policies over several files',
    });
    return { docs: [], diagnostics };
  }
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, merge: false, prettyErrors: false, strict: true, logLevel: 'error' });
  const all = Array.isArray(parsed) ? parsed : [];
  const docs: SourceDoc[] = [];
  const at = (offset: number) => lines.linePos(offset);
  all.forEach((doc, index) => {
    const before = diagnostics.length;
    let duplicates = 0;
    for (const error of doc.errors) {
      const { line, col } = at(error.pos[0]);
      const duplicate = error.code === 'DUPLICATE_KEY';
      if (duplicate) duplicates++;
      const key = duplicate ? keyAt(doc, error.pos[0]) : null;
      diagnostics.push({
        file, line, col, pointer: '', severity: 'error',
        code: duplicate ? 'HST_YAML_DUPLICATE_KEY' : 'HST_YAML_SYNTAX',
        message: key !== null ? `key '${key}' appears twice in this mapping` : firstLine(error.message),
        hint: duplicate ? 'remove one of the two keys; YAML keeps only one of them' : 'fix the YAML syntax at this place',
      });
    }
    for (const warning of doc.warnings) {
      if (warning.code !== 'TAG_RESOLVE_FAILED') continue;
      const { line, col } = at(warning.pos[0]);
      diagnostics.push({
        file, line, col, pointer: '', code: 'HST_YAML_UNKNOWN_TAG', severity: 'error',
        message: firstLine(warning.message),
        hint: 'remove the tag: policies use plain YAML values only',
      });
    }
    for (const key of text.includes('<<') ? mergeKeys(doc) : []) {
      const { line, col } = at(key);
      diagnostics.push({
        file, line, col, pointer: '', code: 'HST_YAML_MERGE_KEY', severity: 'error',
        message: 'merge keys (<<) are not supported',
        hint: 'write the keys out; Settings `defaults` holds values shared by policies',
      });
    }
    if (doc.contents === null) return; // an empty document, such as after a trailing '---'
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      const { line, col } = at(doc.range[0]);
      diagnostics.push({
        file, line, col, pointer: '', code: 'HST_YAML_ALIAS_BOMB', severity: 'error',
        message: `aliases expand to more than ${MAX_ALIAS_COUNT} nodes: ${(error as Error).message}`,
        hint: 'write the values out instead of nesting aliases',
      });
      return;
    }
    docs.push({ file, index, value, doc, lines, partial: diagnostics.length - before > duplicates });
  });
  return { docs, diagnostics };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function keyAt(doc: Document.Parsed, offset: number): string | null {
  let found: string | null = null;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function mergeKeys(doc: Document.Parsed): number[] {
  const found: number[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === '<<' && pair.key.range) found.push(pair.key.range[0]);
    },
  });
  return found;
}

/** Places a problem found at a JSON pointer on the line and column of its YAML node. */
export function placeProblem(source: SourceDoc, problem: Problem): Diagnostic {
  const { line, col } = source.lines.linePos(offsetOf(source.doc, segmentsOf(problem.pointer), problem.key ?? false));
  return {
    file: source.file, line, col, pointer: problem.pointer, code: problem.code,
    severity: problem.severity ?? 'error', message: problem.message, hint: problem.hint,
  };
}

function offsetOf(doc: Document.Parsed, segments: string[], onKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? doc.range[0];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) break;
      const last = i === segments.length - 1;
      const keyNode = pair.key as Node;
      node = pair.value;
      const valueRange = (pair.value as Node | null)?.range;
      offset = last && onKey ? keyNode.range![0] : (valueRange?.[0] ?? keyNode.range![0]);
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item?.range) break;
      node = item;
      offset = item.range[0];
    } else {
      break;
    }
  }
  return offset;
}
