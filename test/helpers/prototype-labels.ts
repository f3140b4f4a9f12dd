/**
 * Labels named like prototype machinery, and a policy that matches, renders (by the fast path
 * and by Liquid) and runs them: a script writes its arguments to OUT, one line per run.
 */

/** As JSON text: in an object literal `__proto__` would set the prototype instead of a key. */
export const PROTOTYPE_LABELS = '{"alertname":"Prototype","host":"web-1","__proto__":"Array","constructor":"Object","prototype":"null"}';

/** What the script writes for those labels. */
export const PROTOTYPE_LINE = 'Array|Object|null|liquid:Array\n';

export function prototypeRepo(out: string): Record<string, string> {
  const policy = `apiVersion: homeostat/v1
kind: Policy
metadata: { name: prototype-labels }
spec:
  match: { alertname: Prototype, constructor: Object }
  target: '{{ labels.host }}'
  actions:
    - name: record
      script:
        path: scripts/record.sh
        args:
          - '{{ labels.__proto__ }}'
          - '{{ labels.constructor }}'
          - '{{ labels.prototype }}'
          - '{% if labels.__proto__ %}liquid:{{ labels.__proto__ }}{% endif %}'
        env: { OUT: '${out}' }
      timeout: 30s
  guards: { cooldown: 0s }
`;
  return { 'rules/prototype-labels.yaml': policy, 'scripts/record.sh': `#!/bin/sh\nprintf '%s|%s|%s|%s\\n' "$1" "$2" "$3" "$4" >> "$OUT"\n` };
}
