/** The script action: run a repository script with an argument vector, never a shell. */
import type { ActionType } from '../types.js';
import { refuseOptionLike } from '../checks.js';
import { hasTemplateSyntax } from '../../template/template.js';
import { SCHEMA_ID_BASE } from '../../schema/validator.js';
import { runScript } from './run.js';

/** Variables that choose the code a process loads: never from an alert. */
const LOADER_VARIABLES = /^(LD_\w+|DYLD_\w+|PATH|BASH_ENV|ENV|IFS|SHELLOPTS|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5LIB|PERL5OPT|PERLLIB|RUBYOPT|RUBYLIB|NODE_OPTIONS|NODE_PATH)$/;

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
    const env = raw.env && typeof raw.env === 'object' ? (raw.env as Record<string, unknown>) : {};
    for (const [name, value] of Object.entries(env)) {
      if (LOADER_VARIABLES.test(name) && typeof value === 'string' && hasTemplateSyntax(value)) {
        return `env.${name} is filled from the alert, and ${name} decides what code the script loads; write its value in the policy`;
      }
    }
    return null;
  },
  describe(rendered) {
    const args = Array.isArray(rendered.args) ? rendered.args.map((a) => JSON.stringify(a)).join(' ') : '';
    return `run ${String(rendered.path)} ${args}`.trim();
  },
  example: { path: 'scripts/example.sh', args: ['{{ labels.instance | host }}'] },
  run: runScript,
};
