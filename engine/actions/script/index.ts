/** The script action: run a repository script with an argument vector, never a shell. */
import type { ActionType } from '../types.js';
import { refuseOptionLike } from '../checks.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';

export const script: ActionType = {
  type: 'script',
  disruptive: true,
  schemaId: `${SCHEMA_ID_BASE}actions/script.schema.json`,
  literalFields: ['path'],
  files: [{ field: 'path', what: 'script' }],
  refuse(rendered, raw) {
    const args = Array.isArray(rendered.args) ? rendered.args : [];
    const rawArgs = Array.isArray(raw.args) ? raw.args : [];
    for (let i = 0; i < args.length; i++) {
      const reason = refuseOptionLike(`args[${i}]`, rawArgs[i], args[i]);
      if (reason) return reason;
    }
    return null;
  },
  describe(rendered) {
    const args = Array.isArray(rendered.args) ? rendered.args.map((a) => JSON.stringify(a)).join(' ') : '';
    return `run ${String(rendered.path)} ${args}`.trim();
  },
  example: { path: 'scripts/example.sh', args: ['{{ labels.instance | host }}'] },
};
