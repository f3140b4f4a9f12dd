/**
 * Label maps are objects without Object.prototype in their chain, filled by own-property
 * definition: a label called `__proto__` or `constructor` is just a label, and reading an
 * absent one never reaches a prototype.
 */
const LABEL_MAP: object = Object.freeze(Object.create(null));

export type LabelMap = Readonly<Record<string, string>>;

export function toLabelMap(source: Readonly<Record<string, unknown>> | undefined): LabelMap {
  const map = Object.create(LABEL_MAP) as Record<string, string>;
  if (!source) return map;
  for (const key of Object.keys(source)) {
    Object.defineProperty(map, key, { value: String(source[key]), enumerable: true, writable: false, configurable: false });
  }
  return map;
}

export function isLabelMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === LABEL_MAP;
}

/** A label's value as matchers see it: an absent label reads as '', as in Alertmanager. */
export function labelValue(labels: LabelMap, name: string): string {
  return Object.hasOwn(labels, name) ? labels[name]! : '';
}
