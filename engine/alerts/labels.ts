/**
 * Label maps are objects without Object.prototype in their chain, filled by own-property
 * definition: a label called `__proto__` or `constructor` is just a label, and reading an
 * absent one never reaches a prototype.
 */
const LABEL_MAP: object = Object.freeze(Object.create(null));

export type LabelMap = Readonly<Record<string, string>>;

export function toLabelMap(source: Readonly<Record<string, unknown>> | undefined): LabelMap {
  const map = Object.create(LABEL_MAP) as Record<string, string>;
  if (!source) return Object.freeze(map);
  // Plain assignment defines an own property here: with no Object.prototype in the chain there
  // is no `__proto__` setter to reach, and LABEL_MAP has no properties to shadow.
  for (const key of Object.keys(source)) map[key] = String(source[key]);
  return Object.freeze(map);
}

export function isLabelMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === LABEL_MAP;
}

/** A label's value as matchers see it: an absent label reads as '', as in Alertmanager. */
export function labelValue(labels: LabelMap, name: string): string {
  return Object.hasOwn(labels, name) ? labels[name]! : '';
}
