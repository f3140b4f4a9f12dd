/**
 * The ansible-playbook command line, made by one function for both the run and its audit
 * description, so that what the audit says ran and what ran cannot drift apart. Only the
 * places of files differ: the run names the revision's resolved files and its scratch
 * directory, the description the paths as the policy wrote them.
 */

export const PROGRAM = 'ansible-playbook';
/** The name of the extra-vars file in the run's scratch directory. */
export const VARS_FILE = 'extra-vars.yml';
/** Targets that are this machine: without an inventory they run with the local connection. */
const LOCAL_TARGETS = new Set(['localhost', '127.0.0.1']);

export interface PlaybookFiles {
  /** The playbook path. */
  playbook: string;
  /** The inventory path; null: the target alone (`TARGET,`). */
  inventory: string | null;
  varsFile: string;
}

/** Whether the run uses the local connection: the target is this machine and no inventory says how to reach hosts. */
export function isLocal(params: Record<string, unknown>, target: string): boolean {
  return params.inventory === undefined && LOCAL_TARGETS.has(target);
}

/** The arguments of ansible-playbook, the program name excluded. */
export function playbookArgs(params: Record<string, unknown>, target: string, dryRun: boolean, files: PlaybookFiles): string[] {
  // --option=value throughout: a value can never be read as an option of its own.
  return [
    `--inventory=${files.inventory ?? `${target},`}`,
    ...(isLocal(params, target) ? ['--connection=local'] : []),
    ...(typeof params.limit === 'string' ? [`--limit=${params.limit}`] : []),
    ...(Array.isArray(params.tags) && params.tags.length > 0 ? [`--tags=${params.tags.join(',')}`] : []),
    `--extra-vars=@${files.varsFile}`,
    ...(dryRun ? ['--check', '--diff'] : []),
    files.playbook,
  ];
}

/** What the audit says will run: the command line, with the files named as the policy wrote them. */
export function describePlaybook(params: Record<string, unknown>, target: string, dryRun: boolean): string {
  const files = {
    playbook: String(params.playbook),
    inventory: typeof params.inventory === 'string' ? params.inventory : null,
    varsFile: VARS_FILE,
  };
  return [PROGRAM, ...playbookArgs(params, target, dryRun, files)].map(word).join(' ');
}

// One argument as one word of the line: quoted when a space, a quote or a control character
// would make the line ambiguous.
function word(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}
