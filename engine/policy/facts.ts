/** The facts and operators a `when` condition may use. */
export const FACTS = {
  labels: 'the alert labels (an absent label reads as \'\')',
  annotations: 'the alert annotations',
  alert: 'status, startsAt, endsAt, fingerprint, generatorURL',
  group: 'receiver, status, groupLabels, commonLabels, commonAnnotations',
  prometheus: 'a PromQL instant query, params.query (a template)',
} as const;

export const BUILTIN_OPERATORS = [
  'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain',
  'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive',
] as const;

export const CUSTOM_OPERATORS = ['regex', 'notRegex', 'exists'] as const;

export const OPERATORS: ReadonlySet<string> = new Set([...BUILTIN_OPERATORS, ...CUSTOM_OPERATORS]);

/** A plain dotted path (`a.b.c`); JSONPath and brackets are refused. */
export const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
