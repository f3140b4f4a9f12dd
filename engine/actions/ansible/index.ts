/** The ansible action: run a repository playbook against the target (execution: the exec module). */
import type { ActionType } from '../types.js';
import { refuseHost } from '../checks.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { describePlaybook } from './command.js';
import { runAnsible } from './run.js';

export const ansible: ActionType = {
  type: 'ansible',
  disruptive: true,
  schemaId: `${SCHEMA_ID_BASE}actions/ansible.schema.json`,
  literalFields: ['playbook', 'inventory', 'tags'],
  files: [
    { field: 'playbook', what: 'playbook' },
    { field: 'inventory', what: 'inventory' },
  ],
  refuse(rendered, _raw, target) {
    if (typeof rendered.limit === 'string') {
      const reason = refuseHost('limit', rendered.limit);
      if (reason) return reason;
    }
    return rendered.inventory === undefined ? refuseHost('target', target) : null;
  },
  describe(rendered, target, dryRun) {
    return describePlaybook(rendered, target, dryRun);
  },
  example: { playbook: 'playbooks/restart_service.yml', limit: '{{ target }}', extraVars: { service: '{{ labels.name }}' } },
  run: runAnsible,
};
