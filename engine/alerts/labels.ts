/**
 * Label maps are objects without Object.prototype in their chain, filled by own-property
 * definition: a label called `__proto__` or `constructor` is just a label, and reading an
 * absent one never reaches a prototype.
 */
const LABEL_MAP: object = Object.freeze(Object.create(null));

export type LabelMap = Readonly<Record<string, string>>;

/** `value`, or an equal string already kept (the values of a storm's alerts repeat). */
export type Intern = (value: string) => string;

export function toLabelMap(source: Readonly<Record<string, unknown>> | undefined, intern?: Intern): LabelMap {
  const map = Object.create(LABEL_MAP) as Record<string, string>;
  if (!source) return Object.freeze(map);
  // Plain assignment defines an own property here: with no Object.prototype in the chain there
  // is no `__proto__` setter to reach, and LABEL_MAP has no properties to shadow.
  for (const key of Object.keys(source)) map[key] = intern ? intern(String(source[key])) : String(source[key]);
  return Object.freeze(map);
}

/**
 * An Intern that keeps up to `max` distinct strings: past that, a new value is kept as it
 * came (hostile labels, all different, cannot make it grow without bound).
 */
export function interner(max: number): Intern {
  const kept = new Map<string, string>();
  return (value) => {
    const found = kept.get(value);
    if (found !== undefined) return found;
    if (kept.size < max) kept.set(value, value);
    return value;
  };
}

export function isLabelMap(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === LABEL_MAP;
}

/** A label's value as matchers see it: an absent label reads as '', as in Alertmanager. */
export function labelValue(labels: LabelMap, name: string): string {
  return Object.hasOwn(labels, name) ? labels[name]! : '';
}
