// GENERATED FILE: do not edit. Source: schemas/*.schema.json; regenerate with `npm run gen:types`.
/* eslint-disable */

export type Matcher = string | [string, ...string[]] | MatcherOperator;
export type EnrichmentValue =
  | number
  | string
  | null
  | {
      error: string;
    };
/**
 * One file of the audit repository, actions/YYYY/MM/DD/<id>.json. An action's file is committed when the action is decided (intent, outcome null) and again when it ends (outcome set). The storm breaker's summary notification is an action entry with `storm` in place of `alert` and `phase`, policy `homeostat.yaml`. Engine events (start-up recovery, the storm breaker opening and closing: breaker-opened, breaker-closed, policy activations, rejected policy changes, alerts Alertmanager left out of a group: alerts-truncated, with details groupKey, receiver and count) use kind 'event'. When one webhook has more than 8 actions of one policy refused by the same guard (a storm against the blast radius or the storm breaker), they are audited together in files of kind 'refusals' (with that policy), each listing up to 5,000 of them with their alert and reason; together those files list every refused action once, in the order the alerts came. A routine job (kind Schedule) writes one file of kind 'run' per action and target of each run: the same fields as an action, with `schedule` (its name, the due time, cron or manual and who asked) in place of the alert; a run not started because the previous one on that target was still going is recorded outcome skipped, one found due past its startingDeadline outcome missed.
 */
export type AuditEntry = {
  apiVersion: "homeostat.dev/v1";
  kind: "action" | "event" | "refusals" | "run";
  /**
   * Time-ordered and unique: YYYYMMDDTHHMMSSmmmZ-<8 hex>.
   */
  id: string;
  /**
   * When the entry was created (the decision, or the event).
   */
  at: string;
  /**
   * The policy revision that was active.
   */
  revision: string;
  alert?: Alert1;
  storm?: Storm;
  policy?: string;
  action?: string;
  /**
   * The action type: ansible, script, kubernetes, http, slack, pagerduty, email.
   */
  type?: string;
  phase?: "actions" | "onResolved" | "schedule";
  target?: string | null;
  /**
   * The rendered parameters, secrets redacted.
   */
  params?: {} | null;
  /**
   * The Prometheus queries made for the policy's decision, rendered, each with its value or its error (absent when the policy has none).
   */
  enrichment?: EnrichmentRecord[];
  /**
   * What the action does, in one line.
   */
  description?: string | null;
  verdict?: "run" | "dry-run" | "awaiting-approval" | "refused" | "failed";
  /**
   * Why refused or failed.
   */
  reason?: string | null;
  guards?: Guards1;
  /**
   * How an action that needed an approval (verdict awaiting-approval, guards.approval.required) was answered: approved (the entry then carries verdict run or dry-run and goes on to its outcome), denied, expired (no answer within the policy's ttl) or cancelled (its alert resolved first). Null while it waits, and for actions that needed none.
   */
  approval?: {
    /**
     * approved, denied: the name of the admin token that answered (serve's admin-tokens; 'admin' for the single admin token); expired, cancelled: 'homeostat'.
     */
    by: string;
    at: string;
    answer: "approved" | "denied" | "expired" | "cancelled";
    /**
     * Why: the reason the approver gave, or why it expired or was cancelled.
     */
    reason?: string;
    /**
     * When the approval was asked for (the decision).
     */
    requestedAt?: string;
    /**
     * When it would have expired unanswered (requestedAt + the policy's approval ttl).
     */
    expiresAt?: string;
    /**
     * approved: the policy revision active when it was approved, whose guards were checked again then and whose files the action ran from.
     */
    revision?: string;
  } | null;
  /**
   * null while the action is pending or running, or awaits its approval; refused and failed decisions carry their verdict as outcome at once; an approval answered no ends its action denied, expired or cancelled (see approval).
   */
  outcome?:
    | null
    | "succeeded"
    | "failed"
    | "timed_out"
    | "interrupted"
    | "refused"
    | "denied"
    | "expired"
    | "cancelled"
    | "skipped"
    | "missed";
  execution?: Execution;
  /**
   * A notify action's entry: the id of the entry of the action whose outcome it reports.
   */
  parent?: string;
  /**
   * The ids of the entries of the notify actions decided when this action ended (each entry's parent is this one).
   */
  notifications?: string[];
  event?: Event;
  /**
   * kind 'refusals': the guard that refused every action listed.
   */
  guard?: string;
  /**
   * kind 'refusals': how many actions were refused (the length of refusals).
   */
  count?: number;
  /**
   * kind 'refusals': each refused action, in the order the alerts came.
   */
  refusals?: Refusal[];
  schedule?: ScheduleRun;
};
/**
 * The run: null until it starts (and for actions that never run).
 */
export type Execution = {
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  signal: string | null;
  /**
   * The process group of the run, so that start-up can end what a crash left behind.
   */
  pgid: number | null;
  dryRun: boolean;
  /**
   * The argument vector that ran (secrets redacted).
   */
  command: string[];
  /**
   * The tail of stdout and stderr, secrets redacted.
   */
  output: string;
  outputTruncated: boolean;
  /**
   * What an action that runs no process did, by its type: the API requests it made, the objects before and after, the requests sent to a receiver. Secrets redacted.
   */
  details?: {};
} | null;

/**
 * A remediation policy: which alerts it matches and which actions it runs, behind which guards.
 */
export interface Policy {
  $schema?: string;
  apiVersion: "homeostat/v1";
  kind: "Policy";
  metadata: Metadata;
  spec: PolicySpec;
}
export interface Metadata {
  /**
   * A lowercase DNS-style name, unique in its scope.
   */
  name: string;
  description?: string;
  owner?: string;
  labels?: {
    [k: string]: string;
  };
}
export interface PolicySpec {
  /**
   * Which alerts run `actions`.
   */
  on?: "firing" | "resolved" | "any";
  /**
   * Higher first; ties by name.
   */
  priority?: number;
  /**
   * Label matchers; all must hold. An absent label reads as ''.
   */
  match: {
    [k: string]: Matcher;
  };
  /**
   * Instant PromQL queries to Prometheus, made for each alert that passes `match`, before `when` is decided: their values are the `prometheus` fact (params: { name: NAME }) and {{ enrichment.NAME }} in templates. A query that fails (Prometheus down or slow, an error) fails the policy closed: no action, the reason audited.
   */
  enrich?: Enrichment[];
  when?: Condition;
  /**
   * What guards key on; default: the alert fingerprint.
   */
  target?: string;
  /**
   * @minItems 1
   */
  actions: [Action, ...Action[]];
  onResolved?: Action[];
  guards?: Guards;
  dryRun?: boolean;
}
export interface MatcherOperator {
  /**
   * Anchored, RE2 semantics (linear time).
   */
  regex?: string;
  notRegex?: string;
  /**
   * @minItems 1
   */
  in?: [string, ...string[]];
  /**
   * @minItems 1
   */
  notIn?: [string, ...string[]];
  notEqual?: string;
  exists?: boolean;
}
export interface Enrichment {
  /**
   * How `when` (params: { name: NAME }) and templates ({{ enrichment.NAME }}) refer to the value.
   */
  name: string;
  /**
   * An instant PromQL query. {{ }} outputs over labels, annotations, alert and group may stand only inside quoted strings, where they are escaped (in a =~ or !~ matcher value, regex-quoted too).
   */
  query: string;
}
/**
 * A json-rules-engine condition tree.
 */
export interface Condition {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  fact?: string;
  path?: string;
  params?: {};
  operator?: string;
  value?: unknown;
}
export interface Action {
  /**
   * A lowercase DNS-style name, unique in its scope.
   */
  name: string;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  timeout?: string;
  dryRun?: boolean;
  /**
   * This ansible or script action takes its node out of service (a reboot, a shutdown): homeostat.yaml minHealthy counts it. Kubernetes cordon and drain count without it.
   */
  disruptsNode?: boolean;
  /**
   * Actions run after this one ends, with `outcome` (status, exitCode, duration, output, auditId, link) in their templates; each is audited as its own entry whose `parent` is this action's.
   */
  notify?: Action[];
  /**
   * A notify action only: the outcomes of its parent it runs after (default: succeeded, failed, timed_out); awaiting-approval: when its parent is held for an approval (outcome.reason says until when and how to answer, outcome.auditId is the approval's id).
   *
   * @minItems 1
   */
  on?: [
    "succeeded" | "failed" | "timed_out" | "refused" | "awaiting-approval",
    ...("succeeded" | "failed" | "timed_out" | "refused" | "awaiting-approval")[]
  ];
  ansible?: AnsibleAction;
  script?: ScriptAction;
  kubernetes?: KubernetesAction;
  http?: HttpAction;
  slack?: SlackAction;
  pagerduty?: PagerdutyAction;
  email?: EmailAction;
}
/**
 * Run an Ansible playbook from the policy repository against the target.
 */
export interface AnsibleAction {
  /**
   * Path of the playbook in the repository.
   */
  playbook: string;
  /**
   * Path of an inventory in the repository; omitted, the target alone is the inventory.
   */
  inventory?: string;
  /**
   * One host; a host pattern (all, *, ',', '!', '&', ':') is refused.
   */
  limit?: string;
  /**
   * Variables for the playbook. Every string rendered from an alert reaches Ansible marked !unsafe.
   */
  extraVars?: {
    [k: string]: unknown;
  };
  tags?: string[];
}
/**
 * Run a script from the policy repository with an argument vector, never through a shell.
 */
export interface ScriptAction {
  /**
   * Path of the script in the repository.
   */
  path: string;
  /**
   * Items: A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  args?: string[];
  env?: {
    /**
     * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
     */
    [k: string]: string;
  };
}
/**
 * One Kubernetes operation on one object.
 */
export interface KubernetesAction {
  cordon?: NodeRef;
  uncordon?: NodeRef;
  drain?: {
    /**
     * The node's name, or { address }: the node whose status.addresses (InternalIP, ExternalIP or Hostname) holds it, e.g. '{{ labels.instance | host }}'.
     */
    node:
      | string
      | {
          /**
           * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
           */
          address: string;
        };
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    gracePeriod?: string;
  };
  deletePod?: {
    /**
     * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
     */
    namespace: string;
    /**
     * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
     */
    pod: string;
  };
  rolloutRestart?: DeploymentRef;
  scale?: {
    [k: string]: unknown;
  } & {
    /**
     * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
     */
    namespace: string;
    /**
     * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
     */
    deployment: string;
    replicas?: number;
    /**
     * Replicas to add (negative: to remove) to the current count, never 0; the result stays within 0 and max.
     */
    by?: number;
    /**
     * The scale never goes above this many replicas.
     */
    max: number;
  };
}
export interface NodeRef {
  /**
   * The node's name, or { address }: the node whose status.addresses (InternalIP, ExternalIP or Hostname) holds it, e.g. '{{ labels.instance | host }}'.
   */
  node:
    | string
    | {
        /**
         * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
         */
        address: string;
      };
}
export interface DeploymentRef {
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  namespace: string;
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  deployment: string;
}
/**
 * Call an HTTP endpoint. The URL is written in the policy and is never a template.
 */
export interface HttpAction {
  url: string;
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  headers?: {
    [k: string]: string | SecretRef;
  };
  /**
   * A mapping is rendered value by value and sent as JSON (a label cannot change its structure); a string is sent as it renders. Absent: the alert, policy, action, target and outcome as JSON.
   */
  body?: string | {};
}
/**
 * Where a secret's value is read at run time; the value never appears in a policy, a log or an audit entry.
 */
export interface SecretRef {
  env?: string;
  file?: string;
}
/**
 * Post a message to a Slack incoming webhook.
 */
export interface SlackAction {
  webhook: SecretRef;
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  text: string;
}
/**
 * Trigger (or, on resolution, resolve) a PagerDuty Events API v2 incident.
 */
export interface PagerdutyAction {
  routingKey: SecretRef;
  severity?: "critical" | "error" | "warning" | "info";
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  summary: string;
  /**
   * Absent: trigger when the alert fires, resolve when it resolves.
   */
  eventAction?: "trigger" | "resolve";
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  source?: string;
  /**
   * The Events API v2 endpoint, written in the policy (default: homeostat.yaml spec.pagerduty.eventsUrl, else https://events.pagerduty.com/v2/enqueue).
   */
  eventsUrl?: string;
}
/**
 * Send an e-mail through an SMTP server. The server is written in the policy; its address is checked like any outbound request's.
 */
export interface EmailAction {
  smtp: {
    host: string;
    /**
     * Default: 587 with starttls, 465 with tls, 25 with none.
     */
    port?: number;
    /**
     * starttls (default): STARTTLS is required; tls: TLS from the first byte; none: plain text (a local relay only).
     */
    security?: "starttls" | "tls" | "none";
    /**
     * A PEM file of the certificate authority that signed the server's certificate, when it is not a public one.
     */
    ca?: string;
    auth?: {
      user: string | SecretRef;
      pass: SecretRef;
    };
  };
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  from: string;
  /**
   * One address, or a list; each must render to exactly one address.
   */
  to: string | [string, ...string[]];
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  subject: string;
  /**
   * A Liquid template over the alert: labels, annotations, alert, group, enrichment and target.
   */
  body?: string;
}
export interface Guards {
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  cooldown?: string;
  rateLimit?: RateLimit;
  /**
   * Per target.
   */
  concurrency?: number;
  approval?: {
    required?: boolean;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    ttl?: string;
  };
  window?: Window;
}
export interface RateLimit {
  max: number;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  per: string;
}
export interface Window {
  /**
   * @minItems 1
   */
  days?: [
    "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun",
    ...("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[]
  ];
  between?: string;
  timezone?: string;
}
/**
 * Repo-wide settings (homeostat.yaml). Safe defaults hold when the file is absent.
 */
export interface Settings {
  $schema?: string;
  apiVersion: "homeostat/v1";
  kind: "Settings";
  metadata?: Metadata;
  spec: SettingsSpec;
}
export interface SettingsSpec {
  /**
   * The kill switch: true stops every new action.
   */
  paused?: boolean;
  /**
   * Every action in dry-run.
   */
  dryRun?: boolean;
  /**
   * Disruptive actions (ansible, script, kubernetes) across all policies.
   */
  blastRadius?: {
    max: number;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    per: string;
  };
  /**
   * The storm breaker: when more than `alerts` distinct alerts fire, or more than `targets` distinct targets of disruptive actions are decided for, within `per`, new disruptive actions (ansible, script, kubernetes) stop (guard `storm`), one summary goes out through `notify`, and the breaker closes by itself once `quietFor` has passed without the storm going on. Opening and closing are audited; the open breaker survives a restart. Give `alerts`, `targets` or both.
   */
  stormBreaker?: {
    /**
     * Opens when more than this many distinct alerts (by fingerprint) are received firing within `per`, whether or not a policy matches them.
     */
    alerts?: number;
    /**
     * Opens when more than this many distinct targets (a policy's `target`) of disruptive actions are decided for within `per`, re-sent alerts included.
     */
    targets?: number;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    per: string;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    quietFor: string;
    /**
     * The one notification sent when the breaker opens: exactly one of http, slack, pagerduty or email, with its parameters. Its templates see `storm` (alerts, targets, since, top, alertnames, trigger, per, quietFor); it is run by the executor and audited like an action.
     */
    notify: {
      /**
       * A lowercase DNS-style name, unique in its scope.
       */
      name?: string;
      /**
       * A duration such as 30s, 5m, 1h30m or 2d.
       */
      timeout?: string;
      http?: HttpAction;
      slack?: SlackAction;
      pagerduty?: PagerdutyAction;
      email?: EmailAction;
    };
  };
  /**
   * Node-disruptive actions (kubernetes cordon and drain, and ansible or script actions marked `disruptsNode: true`) are refused when, counting the action and every node-disruptive action queued, running or decided within `window`, fewer nodes than `nodes` would stay healthy (as medik8s Node Health Check's minHealthy).
   */
  minHealthy?: {
    /**
     * How many nodes must stay healthy: a number (7), or a percentage of the nodes the source counts (70%, rounded up).
     */
    nodes: number | string;
    /**
     * Where healthy comes from (default: kubernetes). Exactly one of kubernetes, prometheus, inventory.
     */
    source?: {
      /**
       * The Kubernetes API (serve --kubeconfig, in-cluster, $KUBECONFIG): a node is healthy when its Ready condition is True and it is schedulable (not cordoned).
       */
      kubernetes?: {
        /**
         * A label selector (as kubectl get nodes -l) of the nodes counted, such as '!node-role.kubernetes.io/control-plane'; default: every node.
         */
        selector?: string;
      };
      /**
       * A PromQL expression of your own, asked of homeostat.yaml's prometheus (or serve --prometheus-url): each series is a node, healthy when its value is neither 0 nor NaN; the series count is the total. Nothing from an alert enters it.
       */
      prometheus?: {
        query: string;
        /**
         * The label naming the node in each series (default instance; a port, host:9100, is dropped to compare it with targets).
         */
        label?: string;
      };
      /**
       * The hosts of an inventory of the repository (a static file or an executable script, as ansible-inventory lists it), all healthy but those under action.
       */
      inventory?: {
        path: string;
        /**
         * Only the hosts of this group (default: every host).
         */
        group?: string;
      };
    };
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    window?: string;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    cacheFor?: string;
  };
  /**
   * Targets no action that changes a system (ansible, script, kubernetes) may touch, whatever a policy says. Control-plane nodes are protected too unless kubernetes.allowControlPlane is true.
   */
  protected?: {
    /**
     * Patterns of targets (the decision's target, the node of a kubernetes action, an ansible limit): a glob ('db-*', 'web-?.example.com', '*' any run of characters, '?' one) or { regex: RE2, anchored }.
     */
    targets?: (
      | string
      | {
          regex: string;
        }
    )[];
    /**
     * A Kubernetes label selector (as kubectl get nodes -l) of nodes that are protected, read from the API: the node's name and addresses are protected targets.
     */
    selector?: string;
  };
  defaults?: {
    guards?: Guards;
    ansible?: {
      inventory?: string;
    };
  };
  /**
   * The Prometheus that `enrich` queries and the `prometheus` fact ask (`serve --prometheus-url` overrides the url). Its host may be on loopback or a private network: it is allowed for these queries.
   */
  prometheus?: {
    /**
     * Its base URL, such as http://prometheus:9090 (queries go to URL/api/v1/query); no credentials in it.
     */
    url: string;
    /**
     * A duration such as 30s, 5m, 1h30m or 2d.
     */
    timeout?: string;
    bearerToken?: SecretRef1;
    basicAuth?: {
      username: string;
      password: SecretRef;
    };
  };
  /**
   * No action runs while one of these is open.
   */
  maintenanceWindows?: {
    start: string;
    end: string;
    reason?: string;
  }[];
  /**
   * Outbound requests (notifications, Prometheus queries). A URL's host is resolved and refused when it is not on the public internet (loopback, link-local, private, unique-local, carrier-grade NAT, unspecified...) unless it is listed here.
   */
  outbound?: {
    /**
     * Hosts allowed to resolve to non-public addresses: a name (receiver.internal), '*.' and a suffix for every name under it (*.corp.example), or an IP address (10.0.0.5, ::1).
     */
    allowHosts?: string[];
  };
  /**
   * Defaults of the pagerduty actions.
   */
  pagerduty?: {
    /**
     * The Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue); an action's own eventsUrl wins.
     */
    eventsUrl?: string;
  };
  /**
   * Limits on the kubernetes actions that no policy can lift.
   */
  kubernetes?: {
    /**
     * Allow node actions (cordon, uncordon, drain) on control-plane nodes (label node-role.kubernetes.io/control-plane or node-role.kubernetes.io/master, as the API reports it). Refused by default.
     */
    allowControlPlane?: boolean;
    /**
     * The namespaces kubernetes actions may touch (deletePod, rolloutRestart, scale). Absent: every namespace but kube-system and kube-public.
     */
    namespaces?: string[];
  };
}
/**
 * Where a secret's value is read at run time; the value never appears in a policy, a log or an audit entry.
 */
export interface SecretRef1 {
  env?: string;
  file?: string;
}
/**
 * Cases that feed alerts to the policies of the repository and list the decisions expected.
 */
export interface PolicyTest {
  $schema?: string;
  apiVersion: "homeostat/v1";
  kind: "PolicyTest";
  metadata: Metadata;
  spec: {
    /**
     * @minItems 1
     */
    cases: [Case, ...Case[]];
  };
}
export interface Case {
  name: string;
  /**
   * A webhook payload file (relative to this test file), or inline alerts.
   */
  alerts: string | [InlineAlert, ...InlineAlert[]];
  /**
   * The clock for time windows, cooldowns and rate limits.
   */
  now?: string;
  /**
   * What Prometheus would answer, so that tests run offline: by enrich name (for every alert of the case), and under `prometheus` by rendered query (which wins). A value is a number, a string, null (no series), or { error } (Prometheus failed).
   */
  enrichment?: {
    prometheus?: {
      [k: string]: EnrichmentValue;
    };
    [k: string]:
      | EnrichmentValue
      | {
          [k: string]: EnrichmentValue;
        }
      | undefined;
  };
  expect: Expectation[];
}
export interface InlineAlert {
  status?: "firing" | "resolved";
  labels: {
    [k: string]: string;
  };
  annotations?: {
    [k: string]: string;
  };
  startsAt?: string;
  fingerprint?: string;
}
/**
 * One decision expected; every decision must be expected. Fields left out are not compared.
 */
export interface Expectation {
  policy: string;
  action: string;
  type?: string;
  target?: string;
  fingerprint?: string;
  verdict?: "run" | "dry-run" | "awaiting-approval" | "refused" | "failed";
  /**
   * A substring of the reason.
   */
  reason?: string;
  /**
   * A subset of the rendered parameters.
   */
  params?: {};
}
/**
 * A routine job: actions run on a cron schedule against a list of hosts or an inventory group, behind the same guards as a Policy, each run audited.
 */
export interface Schedule {
  $schema?: string;
  apiVersion: "homeostat/v1";
  kind: "Schedule";
  metadata: Metadata;
  spec: ScheduleSpec;
}
export interface ScheduleSpec {
  /**
   * Five fields (minute hour day-of-month month day-of-week), six with a leading seconds field, or a macro: @yearly, @annually, @monthly, @weekly, @daily, @hourly.
   */
  cron: string;
  /**
   * The IANA time zone the cron fields are read in.
   */
  timezone?: string;
  targets: ScheduleTargets;
  /**
   * Forbid: a run due while the previous run on the same target is queued or running is recorded skipped, not started. Allow: it waits for the per-target lock.
   */
  concurrencyPolicy?: "Forbid" | "Allow";
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  startingDeadline?: string;
  /**
   * @minItems 1
   */
  actions: [Action, ...Action[]];
  guards?: ScheduleGuards;
  dryRun?: boolean;
}
/**
 * {group} (hosts of an inventory group) or {hosts} (a list); each target is run on separately, under its own lock and guards.
 */
export interface ScheduleTargets {
  /**
   * An inventory group: its hosts, as ansible-inventory --list reads the inventory (a file, a folder, or an executable script run with --list).
   */
  group?: string;
  /**
   * The inventory the group is read from, relative to the repository root; default: Settings defaults.ansible.inventory. Also the default inventory of the schedule's ansible actions.
   */
  inventory?: string;
  /**
   * @minItems 1
   */
  hosts?: [string, ...string[]];
}
/**
 * The Policy guards a schedule uses (no approval). A cooldown makes the schedule share its targets' cooldown with the policies, both ways: a run is held off a target that an alert's action (or another such schedule's run) was decided for within it, and its runs hold a policy's action off the target for that policy's cooldown. Without one (a read-only check) the schedule neither waits for nor holds back anything.
 */
export interface ScheduleGuards {
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  cooldown?: string;
  rateLimit?: RateLimit;
  /**
   * Per target.
   */
  concurrency?: number;
  window?: Window;
}
/**
 * The body Alertmanager's webhook receiver posts (payload version 4). Unknown fields are accepted.
 */
export interface AlertmanagerWebhook {
  version: "4";
  groupKey?: string;
  truncatedAlerts?: number;
  status: "firing" | "resolved";
  receiver?: string;
  groupLabels?: LabelSet;
  commonLabels?: LabelSet;
  commonAnnotations?: LabelSet;
  externalURL?: string;
  alerts: Alert[];
}
export interface LabelSet {
  [k: string]: string;
}
export interface Alert {
  status: "firing" | "resolved";
  labels: LabelSet;
  annotations?: LabelSet;
  /**
   * When the alert started (RFC 3339). Required: an alert is the same alert, decided once, by its fingerprint and startsAt.
   */
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
}
export interface Alert1 {
  fingerprint: string;
  alertname: string;
  status: "firing" | "resolved";
  startsAt: string;
  labels: {
    [k: string]: string;
  };
  groupKey?: string;
  receiver?: string;
}
/**
 * The storm breaker's summary notification (kind action, in place of alert and phase): the storm it announces.
 */
export interface Storm {
  /**
   * The opening of the breaker this announces (the breaker-opened event's details.id).
   */
  id: string;
  since: string;
  /**
   * Distinct alerts received firing within the window when it opened.
   */
  alerts: number;
  /**
   * Distinct targets decided for within the window when it opened.
   */
  targets: number;
  /**
   * The most frequent alertnames among those alerts, most first.
   */
  alertnames: {
    alertname: string;
    count: number;
  }[];
  trigger: "alerts" | "targets";
}
export interface EnrichmentRecord {
  /**
   * The enrich entry's name; null for a query written in `when`.
   */
  name: string | null;
  query: string;
  /**
   * A number (one series or a scalar; NaN, +Inf and -Inf as strings), a string, or null (no series).
   */
  value?: number | string | null;
  error?: string;
}
/**
 * The guards checked, in order, and the one that refused (null when all passed).
 */
export interface Guards1 {
  /**
   * The checks passed, in order: duplicate, resolved (not a late firing), then the guards (an onResolved that answers actions that ran is held by paused and maintenance only).
   */
  passed: (
    | "duplicate"
    | "resolved"
    | "paused"
    | "maintenance"
    | "protected"
    | "storm"
    | "window"
    | "cooldown"
    | "rate-limit"
    | "blast-radius"
    | "min-healthy"
    | "concurrency-policy"
  )[];
  refusedBy: string | null;
  /**
   * When the guard that refused stops refusing, as far as is known when it refused: the end of the cooldown, of the rate limit's or blast radius's window, of the maintenance window, the next opening of the policy window, the earliest close of the storm breaker (if the storm stays quiet). Null when it depends on a person (paused) or no guard refused.
   */
  until?: string | null;
}
export interface Event {
  name:
    | "engine-started"
    | "engine-stopped"
    | "recovered"
    | "policies-activated"
    | "policies-rejected"
    | "alerts-truncated"
    | "paused"
    | "resumed"
    | "breaker-opened"
    | "breaker-closed";
  message: string;
  details?: {};
}
export interface Refusal {
  policy: string;
  action: string;
  type: string;
  phase: "actions" | "onResolved";
  target: string | null;
  reason: string;
  alert: Alert1;
  /**
   * As guards.until.
   */
  until?: string | null;
}
export interface ScheduleRun {
  name: string;
  /**
   * The run: every entry of one run (its targets and actions) shares it.
   */
  runId: string;
  trigger: "cron" | "manual";
  /**
   * When the run was due (cron), or asked for (manual).
   */
  due: string;
  timezone?: string;
  /**
   * manual: who asked, as the request said.
   */
  by?: string | null;
  /**
   * outcome missed: how many due times were missed, the first and the last.
   */
  missed?: {
    count: number;
    first: string;
    last: string;
  };
}
/**
 * The `homeostat serve --config FILE` file. Each key is also a flag (--KEY) and an environment variable (HOMEOSTAT_KEY, upper case, '-' as '_'); a flag wins over the environment, which wins over this file.
 */
export interface ServeConfig {
  /**
   * The policy repository: a directory, or a git remote to sync (an ssh, https or file URL, user@host:path, or the path of a bare repository).
   */
  policies?: string;
  /**
   * Branch of a git policy remote (default: the remote's default branch).
   */
  branch?: string;
  /**
   * Folder of the policy repository inside a git remote (default: its top).
   */
  path?: string;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  "sync-interval"?: string;
  /**
   * An SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format): a git policy revision is activated only when its head commit is signed by one of its keys.
   */
  "verify-signatures"?: string;
  /**
   * Activate a git policy head that does not descend from the active revision (a force-pushed history); refused by default.
   */
  "allow-rewrite"?: boolean;
  /**
   * File holding the secret of the policy repository's push webhook: GitHub's X-Hub-Signature-256 is checked against it, and it is also accepted as a bearer token on POST /api/v1/sync; or HOMEOSTAT_SYNC_TOKEN.
   */
  "sync-token-file"?: string;
  /**
   * HOST:PORT the HTTP API listens on.
   */
  listen?: string;
  /**
   * Journal, state and the local audit repository (DIR/audit).
   */
  "data-dir"?: string;
  /**
   * A git remote the audit commits are pushed to.
   */
  "audit-remote"?: string;
  /**
   * Branch of the audit repository that commits go to and are pushed to.
   */
  "audit-branch"?: string;
  /**
   * Every action in dry-run.
   */
  "dry-run"?: boolean;
  /**
   * The engine's own address as others reach it (https://homeostat.example), for links to audit entries in notifications.
   */
  "external-url"?: string;
  /**
   * The kubeconfig file of the cluster the kubernetes actions act on (default: the pod's service account in a cluster, then $KUBECONFIG, then ~/.kube/config).
   */
  kubeconfig?: string;
  /**
   * The context of the kubeconfig to use (default: its current-context).
   */
  "kube-context"?: string;
  /**
   * File holding the token POST /api/v1/alerts requires (bearer, or basic-auth password), at least 16 characters; or HOMEOSTAT_WEBHOOK_TOKEN.
   */
  "webhook-token-file"?: string;
  /**
   * File holding the token the admin endpoints (GET /api/v1/status, /api/v1/actions, /api/v1/runs, /api/v1/approvals, POST /api/v1/schedules/:name/run, /api/v1/approvals/:id/approve|deny, /api/v1/pause, /api/v1/resume) require, and that logs in to the web page (GET /) with every right; at least 16 characters; or HOMEOSTAT_ADMIN_TOKEN.
   */
  "admin-token-file"?: string;
  /**
   * The name the audit gives the admin token of admin-token-file or HOMEOSTAT_ADMIN_TOKEN when it approves, denies, pauses or resumes (default: admin).
   */
  "admin-token-name"?: string;
  /**
   * More admin tokens, each with a name (this file only, not a flag): any of them opens the admin endpoints, and its name is who approved, denied, paused or resumed in the audit. Each file is read again when it changes, as admin-token-file is.
   */
  "admin-tokens"?: {
    /**
     * A person or a tool, as the audit names it.
     */
    name: string;
    /**
     * File holding the token (at least 16 characters), relative to this file's folder.
     */
    file: string;
  }[];
  /**
   * File holding a read-only token for the web page (GET /): it logs in to see, never to change; at least 16 characters; or HOMEOSTAT_VIEWER_TOKEN.
   */
  "viewer-token-file"?: string;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  "request-timeout"?: string;
  /**
   * Largest webhook body accepted, such as 32MiB (Alertmanager never retries a 413: set max_alerts in its webhook_config to stay under it).
   */
  "max-body"?: string;
  /**
   * Actions running at once (one per target at most).
   */
  concurrency?: number;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  "shutdown-timeout"?: string;
  /**
   * Lowest level of the JSON log lines on stdout.
   */
  "log-level"?: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
  /**
   * The Prometheus that enrichment queries go to, overriding the url of homeostat.yaml's prometheus (whose auth and timeout still apply).
   */
  "prometheus-url"?: string;
  /**
   * A duration such as 30s, 5m, 1h30m or 2d.
   */
  "remediation-window"?: string;
}
