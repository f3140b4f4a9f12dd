/** What every action type provides; the registry maps each type name to one of these. */
export interface FileReference {
  /** The parameter holding the path, e.g. 'playbook'. */
  field: string;
  what: string;
}

export interface ActionType {
  type: string;
  /** Actions that change a system count against the blast radius; notifications do not. */
  disruptive: boolean;
  /** $id of the parameter schema under schemas/actions/. */
  schemaId: string;
  /** Top-level string parameters that are paths or names written in the policy, never templates. */
  literalFields: readonly string[];
  /** Parameters naming files that must exist in the policy repository. */
  files: readonly FileReference[];
  /**
   * Why the rendered parameters must not run (a value read as an option or a host pattern,
   * a name Kubernetes would refuse), or null. `raw` are the parameters as written. Types
   * whose parameters reach no process and name no object (notifications) have none.
   */
  refuse?(rendered: Record<string, unknown>, raw: Record<string, unknown>, target: string): string | null;
  /** One line saying what a dry run would do. */
  describe(rendered: Record<string, unknown>, target: string): string;
  /** A parameter set that lints, for docs and the registry test. */
  example: Record<string, unknown>;
}
