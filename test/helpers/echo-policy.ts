/**
 * The smallest policy repository that runs something: alerts named Echo run a script that
 * echoes the alert's `host` label, which is also the target; no cooldown.
 */
export const ECHO_REPO: Record<string, string> = {
  'rules/echo.yaml': `apiVersion: homeostat/v1
kind: Policy
metadata: { name: echo-host }
spec:
  match: { alertname: Echo }
  target: '{{ labels.host }}'
  actions:
    - name: echo
      script: { path: scripts/echo.sh, args: ['{{ labels.host }}'] }
  guards: { cooldown: 0s }
`,
  'scripts/echo.sh': '#!/bin/sh\necho "hello $1"\n',
};
