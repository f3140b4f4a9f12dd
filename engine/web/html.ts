/**
 * Markup built by one tagged template: every value put into `html\`…\`` is escaped unless it is
 * itself markup made by this template. Alert labels are hostile: a label holding `<script>`
 * reaches the page as text, in an element or an attribute alike (attribute values are always
 * written in double quotes, which escaping covers).
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let text = strings[0]!;
  values.forEach((value, i) => (text += render(value) + strings[i + 1]!));
  return new Html(text);
}

/** Markup joined from parts (each escaped unless markup). */
export function join(parts: readonly Part[]): Html {
  return new Html(render(parts));
}
