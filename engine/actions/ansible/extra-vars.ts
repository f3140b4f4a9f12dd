/**
 * The extra-vars file given to ansible-playbook. Every string in it, keys included, carries
 * the `!unsafe` tag: Ansible then never templates it, so `{{ lookup('pipe', …) }}` in an
 * alert's label reaches the playbook as that text and runs nothing. Written by hand rather
 * than through a YAML library so that each string is double-quoted with every character that
 * PyYAML would refuse or fold (control characters, NEL, U+2028) escaped: the file always
 * parses and each value arrives as it was.
 */

export function extraVarsYaml(vars: Record<string, unknown>): string {
  return `# Written by homeostat. Every string is !unsafe: Ansible never evaluates Jinja in it.\n${collection(vars, '')}`;
}

// What follows "key:" or "-": a scalar on the same line, or a nested block on the next lines.
function after(value: unknown, indent: string): string {
  const text = scalar(value);
  return text === null ? `\n${collection(value as object, indent)}` : ` ${text}\n`;
}

function collection(value: object, indent: string): string {
  if (Array.isArray(value)) return value.map((item) => `${indent}-${after(item, `${indent}  `)}`).join('');
  return Object.keys(value)
    .map((key) => `${indent}${unsafe(key)}:${after((value as Record<string, unknown>)[key], `${indent}  `)}`)
    .join('');
}

/** The YAML of a scalar or an empty collection; null for a collection with members. */
function scalar(value: unknown): string | null {
  if (typeof value === 'string') return unsafe(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : null;
  if (typeof value === 'object') return Object.keys(value).length === 0 ? '{}' : null;
  return 'null';
}

// PyYAML (YAML 1.1) reads a float only with a '.', so 1e+21 must be written 1.0e+21.
function number(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
  const text = String(value);
  return Number.isSafeInteger(value) || text.includes('.') ? text : text.replace('e', '.0e');
}

function unsafe(text: string): string {
  return `!unsafe ${quote(text)}`;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r' };

// Printable as PyYAML reads a stream, minus NEL and the Unicode line and paragraph separators
// (line breaks in YAML 1.1) and the byte-order mark.
function printable(code: number): boolean {
  if (code >= 0x20 && code <= 0x7e) return true;
  if (code >= 0xa0 && code <= 0xd7ff) return code !== 0x2028 && code !== 0x2029;
  if (code >= 0xe000 && code <= 0xfffd) return code !== 0xfeff;
  return code >= 0x10000 && code <= 0x10ffff;
}

function quote(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const escape = ESCAPES[char];
    if (escape !== undefined) out += escape;
    else if (printable(code)) out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
