/** What every action type provides; the registry maps each type name to one of these. */
import type { Alert } from '../alerts/payload.js';
import type { KubeClient } from '../kube/index.js';

/** homeostat.yaml's `kubernetes:` section, resolved: what no policy can widen. */
export interface KubernetesSettings {
  /** Node actions on control-plane nodes are refused unless this is true. */
  allowControlPlane: boolean;
  /** The namespaces actions may touch; null: all but kube-system and kube-public. */
  namespaces: readonly string[] | null;
}

/** The repository settings an action type's checks read (a part of the resolved Settings). */
export interface ActionSettings {
  kubernetes: KubernetesSettings;
}

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
  refuse?(rendered: Record<string, unknown>, raw: Record<string, unknown>, target: string, settings?: ActionSettings): string | null;
  /** One line saying what the action does: in a dry run (`dryRun`), what it would do. */
  describe(rendered: Record<string, unknown>, target: string, dryRun: boolean): string;
  /** A parameter set that lints, for docs and the registry test. */
  example: Record<string, unknown>;
  /** Carry the action out (through engine/exec). */
  run(context: RunContext): Promise<RunResult>;
}

export interface RunContext {
  /** The policy repository root: playbooks/, scripts/ and inventories are relative to it. */
  repoDir: string;
  /** A private scratch directory for this run; it exists, and the caller removes it afterwards. */
  workDir: string;
  /** The rendered parameters (see the type's schema under schemas/actions/). */
  params: Record<string, unknown>;
  target: string;
  /** The alert that decided the action; null for a routine job's run (kind Schedule). */
  alert: Alert | null;
  /** The routine job's run, for an action of a Schedule. */
  run?: ScheduleRunInfo;
  /** The storm the storm breaker's summary announces (engine/breaker/), for its notification. */
  storm?: StormNotice;
  dryRun: boolean;
  timeoutMs: number;
  secrets: readonly string[];
  /** Aborted when the engine stops: the run's process group is ended. */
  signal: AbortSignal;
  /** Called with the process group id once a process runs, before it is waited for. */
  onSpawn(pgid: number): void | Promise<void>;
  /** This run's audit entry and what decided it (notifications link to it, key on it). */
  entry?: { id: string; policy: string; action: string; revision: string };
  /** For outbound requests (notifications); absent: no host allowlisted, no links. */
  outbound?: OutboundContext;
  /** For a notify sub-action: how its parent action ended (also `outcome` in its templates). */
  parent?: ParentOutcome;
  /** The settings of the revision that decided the action (absent: the safe defaults). */
  settings?: ActionSettings;
  /** The cluster the kubernetes action acts on; throws, naming the fix, when none is configured. */
  kube?: () => KubeClient;
}

export interface OutboundContext {
  /** homeostat.yaml spec.outbound.allowHosts: hosts allowed to resolve to non-public addresses. */
  allowHosts: readonly string[];
  /** homeostat.yaml spec.pagerduty.eventsUrl, or null for PagerDuty's own. */
  pagerdutyEventsUrl: string | null;
  /** `serve --external-url`, without a trailing slash; null: notifications carry no link. */
  externalUrl: string | null;
}

/** How an action ended, as its notify sub-actions see it (`outcome` in their templates). */
export interface ParentOutcome {
  status: 'succeeded' | 'failed' | 'timed_out' | 'refused' | 'awaiting-approval';
  action: string;
  type: string;
  exitCode: number | null;
  durationMs: number | null;
  /** durationMs said the way a person reads it ('1m 5s'), '' when it did not run. */
  duration: string;
  /** The last lines of its output, secrets masked. */
  output: string;
  reason: string;
  auditId: string;
  /** The audit entry on the engine (--external-url), '' without one. */
  link: string;
}

/** The storm breaker's summary: the storm it opened on (`storm` in its notification's templates). */
export interface StormNotice {
  /** The opening's id. */
  id: string;
  /** ISO 8601: when it opened. */
  since: string;
  /** Distinct alerts received firing, and distinct targets decided for, within the window when it opened. */
  alerts: number;
  targets: number;
  /** The most frequent alertnames, most first. */
  alertnames: { alertname: string; count: number }[];
  /** The same, as text: 'InstanceDown (408), NodeDown (3)'. */
  top: string;
  trigger: 'alerts' | 'targets';
  threshold: number;
  per: string;
  quietFor: string;
}

/** What an action of a routine job is told of its run (no alert decided it). */
export interface ScheduleRunInfo {
  schedule: string;
  runId: string;
  /** ISO 8601: when the run was due, or asked for. */
  due: string;
  trigger: 'cron' | 'manual';
}

export interface RunResult {
  /** refused: a check only the run can make (a control-plane node read from the API) said no. */
  outcome: 'succeeded' | 'failed' | 'timed_out' | 'interrupted' | 'refused';
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  pgid: number | null;
  command: string[];
  output: string;
  outputTruncated: boolean;
  /** One line when not succeeded: 'exit code 2', 'timed out after 10m', 'ansible-playbook not found: …'. */
  reason: string | null;
  /**
   * What a type that runs no process did, for its audit entry: API requests made, objects
   * before and after, requests sent to a receiver. Secrets already redacted.
   */
  details?: Record<string, unknown>;
}
