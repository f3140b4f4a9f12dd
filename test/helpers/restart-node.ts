/**
 * The policy repository the storm and refusal tests share: `restart-node` restarts the node
 * of every InstanceDown and ServiceDown alert (target: the instance's host) with a script that,
 * given a file, notes each target it ran for. `settings` are the lines under Settings' spec.
 */
export function restartNodeRepo(options: { settings: string; guards: string; notedIn?: string }): Record<string, string> {
  const args = options.notedIn ? `, args: ['{{ target }}', '${options.notedIn}']` : '';
  return {
    'homeostat.yaml': `apiVersion: homeostat/v1\nkind: Settings\nspec:\n${options.settings}`,
    'scripts/restart.sh': options.notedIn ? '#!/bin/sh\necho "$1" >> "$2"\n' : '#!/bin/sh\n',
    'rules/restart.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: restart-node }
spec:
  match: { alertname: [InstanceDown, ServiceDown] }
  target: '{{ labels.instance | host }}'
  actions:
    - name: restart
      script: { path: scripts/restart.sh${args} }
  guards: ${options.guards}
`,
  };
}
