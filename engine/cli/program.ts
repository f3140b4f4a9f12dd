/**
 * The command line: lint, test, simulate, explain, serve, status, run, runs, audit. `run()` is the one error boundary: a user
 * error is one line and exit 1 or 2; anything else is a bug, printed with its stack.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { EXIT, UserError } from './errors.js';
import { FORMATS } from './io.js';
import type { Io } from './io.js';
import { lintCommand } from './commands/lint.js';
import { testCommand } from './commands/test.js';
import { simulateCommand } from './commands/simulate.js';
import { simulateSchedulesCommand } from './commands/simulate-schedules.js';
import { explainCommand } from './commands/explain.js';
import { diffCommand } from './commands/diff.js';
import { replayCommand } from './commands/replay.js';
import { reviewCommand } from './commands/review.js';
import { initCommand } from './commands/init.js';
import type { ReviewFlags } from './commands/review.js';
import type { ReplayFlags } from './commands/replay.js';
import type { DiffFlags } from './commands/diff.js';
import { AT_HELP, EVERY_HELP, NOW_HELP } from './timing.js';
import { serveCommand } from './commands/serve.js';
import { SERVE_DEFAULTS as D } from '../config/serve-config.js';
import { statusCommand } from './commands/status.js';
import type { StatusFlags } from './commands/status.js';
import { runCommand, runsCommand } from './commands/runs.js';
import { auditLogCommand, auditShowCommand, auditVerifyCommand, OUTCOME_FILTERS } from './commands/audit.js';
import { escapeControl, escapeLines } from './format/terminal.js';

function formatOption(command: keyof typeof FORMATS): Option {
  return new Option('--format <format>', 'output format').choices(FORMATS[command]).default('text');
}

const DIR_HELP = 'the policy repository (holding rules/), or its rules/ folder';
const REV_HELP = 'load the policies as they are at this git revision (commit, branch, tag) of the repository holding DIR, from git alone: the working tree is not read';

function version(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

function build(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('homeostat')
    .description('Rules-as-code remediation for Prometheus Alertmanager alerts: lint, test, simulate and explain policies.')
    .version(version())
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // A usage error is one line, with the way to more.
      outputError: (text, write) => write(`${escapeLines(text.trimEnd())} (run homeostat --help for usage)\n`),
    })
    .exitOverride()
    .addHelpText('after', '\nExit codes: 0 fine; 1 the policies have problems or a test failed; 2 the command was used wrongly or could not run.\nDocs: docs/cli.md, docs/policies.md, docs/diagnostics.md');

  program
    .command('lint')
    .description('check every policy, test and settings file: schema and semantics, every problem with file:line:col')
    .argument('[dir]', DIR_HELP, '.')
    .option('--rev <rev>', REV_HELP)
    .option('--inventory-check', 'also list every inventory named (ansible-inventory --list; an executable inventory is run with --list) and check its JSON and the schedules\' groups')
    .addOption(formatOption('lint'))
    .action(async (dir: string, o: { format: string; rev?: string; inventoryCheck?: boolean }) => setExit(await lintCommand(dir, o.format, io, o.rev, o.inventoryCheck ?? false)));

  program
    .command('test')
    .description('run the PolicyTest cases of rules/*.test.yaml against the policies')
    .argument('[dir]', DIR_HELP, '.')
    .option('--rev <rev>', REV_HELP)
    .addOption(formatOption('test'))
    .action(async (dir: string, o: { format: string; rev?: string }) => setExit(await testCommand(dir, o.format, io, o.rev)));

  program
    .command('simulate')
    .description('show what the policies would decide for Alertmanager webhook payloads, each at its time: matches, actions, guards; or, with --schedules, the runs the schedules would make in a range (nothing runs)')
    .argument('[dir]', DIR_HELP, '.')
    .option('--alerts <files...>', 'webhook payload files (JSON) or timelines (homeostat replay), decided in order, each at its time (--now, --at, --every)')
    .option('--now <time>', NOW_HELP)
    .option('--at <times...>', AT_HELP)
    .option('--every <duration>', EVERY_HELP)
    .option('--schedules', 'list the runs of the schedules (kind Schedule) from --from to --to, with the guards\' verdicts and local times')
    .option('--from <time>', 'with --schedules: the start of the range (ISO 8601; default: now)')
    .option('--to <time>', 'with --schedules: the end of the range (ISO 8601; default: a week after --from)')
    .option('--dry-run', 'decide as `serve --dry-run` would: every action in dry-run')
    .option('--rev <rev>', REV_HELP)
    .option('--prometheus-url <url>', "ask this Prometheus the policies' enrichment queries and minHealthy's PromQL source (homeostat.yaml's prometheus auth and timeout apply); without it, enriching policies and node-disruptive actions under a prometheus minHealthy take no action and say so")
    .option('--kubeconfig <file>', "read this cluster's nodes for the guards (protected control-plane and protected.selector nodes, minHealthy's kubernetes source), and send each kubernetes decision to it as a server-side dry run (dryRun=All): nothing changes; without it, those guards say they had no cluster to read")
    .option('--kube-context <context>', 'the kubeconfig context for --kubeconfig (default: its current-context)')
    .addOption(formatOption('simulate'))
    .action(async (dir: string, o: { alerts?: string[]; at?: string[]; every?: string; schedules?: boolean; from?: string; to?: string; now?: string; dryRun?: boolean; rev?: string; prometheusUrl?: string; format: string; kubeconfig?: string; kubeContext?: string }) => {
      if (o.schedules) return setExit(await simulateSchedulesCommand(dir, o, o.format, io));
      if (!o.alerts) throw new UserError("simulate: give --alerts FILE... (webhook payloads), or --schedules (the schedules' runs from --from to --to)");
      setExit(await simulateCommand(dir, { ...o, alerts: o.alerts }, o.format, io));
    });

  program
    .command('explain')
    .description('show, condition by condition, why each policy matched each alert or did not')
    .argument('[dir]', DIR_HELP, '.')
    .requiredOption('--alerts <file>', 'a webhook payload file (JSON)')
    .option('--policy <name>', 'explain this policy only')
    .option('--prometheus-url <url>', "ask this Prometheus the policies' enrichment queries (without it, none is asked)")
    .addOption(formatOption('explain'))
    .action(async (dir: string, o: { alerts: string; policy?: string; prometheusUrl?: string; format: string }) => setExit(await explainCommand(dir, o, o.format, io)));

  program
    .command('diff')
    .description('the decisions a change of policy changes: the same alerts through the base revision and the head, every changed decision, the lint problems and failing tests of the head')
    .argument('[dir]', DIR_HELP, '.')
    .requiredOption('--base <rev>', 'the revision the change is made against (a branch, tag or commit of the git repository holding DIR)')
    .option('--head <rev>', 'the changed revision (default: the directory as it is, uncommitted edits included)')
    .requiredOption('--alerts <files...>', 'webhook payload files or timelines (homeostat replay), decided in order, each at its time (--now, --at, --every)')
    .option('--now <time>', NOW_HELP)
    .option('--at <times...>', AT_HELP)
    .option('--every <duration>', EVERY_HELP)
    .option('--dry-run', 'decide as `serve --dry-run` would: every action in dry-run')
    .option('--fail-on-change', 'exit 1 when any decision changed (a gate); by default a change is no failure')
    .addOption(formatOption('diff'))
    .action(async (dir: string, o: DiffFlags & { format: string }) => setExit(await diffCommand(dir, o, o.format, io)));

  program
    .command('init')
    .description('start a policy repository: settings, an example policy with its test, alert and playbook, and a GitHub workflow that reviews pull requests')
    .argument('[dir]', 'the folder to write it in (made if missing)', '.')
    .option('--force', 'overwrite files that exist')
    .action((dir: string, o: { force?: boolean }) => setExit(initCommand(dir, o, io)));

  program
    .command('review')
    .description('a pull request\'s review (what action.yml runs): lint problems on the changed lines and failing tests as workflow annotations, the decision diff as one PR comment, updated on each run')
    .argument('[dir]', 'the policy repository (holding rules/)', '.')
    .requiredOption('--base <rev>', 'the revision the pull request is made against')
    .option('--head <rev>', 'the pull request\'s revision', 'HEAD')
    .option('--alerts <files...>', 'recorded webhook payloads or replay timelines for the decision diff')
    .option('--now <time>', NOW_HELP)
    .option('--fail-on-change', 'exit 1 when any decision changed')
    .option('--comment-out <file>', 'also write the comment body here (without a pull request to post to, it is printed otherwise)')
    .option('--annotations-out <file>', 'also write the workflow annotations here')
    .addHelpText('after', '\nThe comment is posted (or the earlier one edited) when GITHUB_TOKEN (or HOMEOSTAT_GITHUB_TOKEN), GITHUB_REPOSITORY and GITHUB_EVENT_PATH name a pull request; GITHUB_API_URL for GitHub Enterprise.')
    .action(async (dir: string, o: ReviewFlags) => setExit(await reviewCommand(dir, o, io)));

  program
    .command('replay')
    .description('the webhook payloads Alertmanager would have sent over a past range, from the ALERTS series of a Prometheus, as a timeline that simulate and diff read')
    .option('--prometheus <url>', "the Prometheus whose ALERTS history is replayed, e.g. http://prometheus:9090")
    .option('--from <time>', 'the start of the range: ISO 8601, or now-7d')
    .option('--to <time>', 'the end of the range: ISO 8601, or now')
    .option('--match <selector>', 'only alerts matching this PromQL selector, e.g. \'{severity="critical"}\'')
    .option('--group-by <labels>', 'the labels alerts are grouped into payloads by, comma-separated (default: alertname)')
    .option('--step <duration>', 'the resolution: an alert is seen at each step it fires at', '1m')
    .option('--chunk <duration>', 'the range asked of Prometheus at once; memory follows it', '6h')
    .option('--alertmanager-dump <file>', 'instead of --prometheus: a saved answer of Alertmanager GET /api/v2/alerts')
    .requiredOption('--out <file>', 'the timeline to write (JSON Lines of {at, payload}); an existing file is replaced')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: ReplayFlags) => setExit(await replayCommand(o, io)));

  program
    .command('serve')
    .description('run the engine: take Alertmanager webhooks, decide, run actions behind the guards, audit every action in git')
    .option('--policies <dir|git-url>', `the policy repository: a directory, read as it is and reloaded when it changes, or a git remote to sync (ssh://, https://, file://, user@host:path, or a bare repository) (default: ${D.policies})`)
    .option('--branch <branch>', "the git remote's branch to follow (default: the remote's default branch)")
    .option('--path <folder>', 'the folder of the policy repository inside the git remote (default: its top)')
    .option('--sync-interval <duration>', `how often the git remote is fetched, 1s to 24d; POST /api/v1/sync fetches at once (default: ${D['sync-interval']})`)
    .option('--verify-signatures <allowed-signers>', "activate a git revision only when its head commit is signed by a key of this SSH allowed-signers file (git's gpg.ssh.allowedSignersFile format)")
    .option('--allow-rewrite', 'activate a git head that does not descend from the last good revision (a force-push); refused by default')
    .option('--sync-token-file <file>', "the push webhook's secret (or HOMEOSTAT_SYNC_TOKEN): GitHub's X-Hub-Signature-256 is checked against it; also a bearer token for POST /api/v1/sync")
    .option('--config <file>', 'a YAML file whose keys are these flags without dashes, e.g. data-dir: /var/lib/homeostat')
    .option('--listen <host:port>', `where the HTTP API listens (default: ${D.listen}; beyond loopback only with a webhook token)`)
    .option('--data-dir <dir>', `journal, state and the local audit repository DIR/audit (default: ${D['data-dir']})`)
    .option('--audit-remote <git-url>', 'push audit commits to this git remote (never force)')
    .option('--audit-branch <branch>', `the audit branch (default: ${D['audit-branch']})`)
    .option('--dry-run', 'every action in dry-run: ansible --check --diff, Kubernetes server-side dry run (dryRun=All), scripts and notifications not run')
    .option('--external-url <url>', "the engine's own address as others reach it, for links to audit entries in notifications")
    .option('--kubeconfig <file>', 'the kubeconfig of the cluster the kubernetes actions act on, and whose nodes the protected and minHealthy guards read (default: in-cluster service account, then $KUBECONFIG, then ~/.kube/config)')
    .option('--kube-context <context>', 'the kubeconfig context to use (default: its current-context)')
    .option('--webhook-token-file <file>', 'token the webhook requires (or HOMEOSTAT_WEBHOOK_TOKEN), as bearer or basic-auth password')
    .option('--admin-token-file <file>', 'token the admin endpoints require (or HOMEOSTAT_ADMIN_TOKEN); also logs in to the web page with every right')
    .option('--viewer-token-file <file>', 'a read-only token for the web page (or HOMEOSTAT_VIEWER_TOKEN): it logs in to see, never to run or answer anything')
    .option('--request-timeout <duration>', `how long a request may take to arrive, headers and body; a slower one gets 408 (default: ${D['request-timeout']})`)
    .option('--max-body <size>', `largest webhook body (default: ${D['max-body']}); bigger groups: set max_alerts in Alertmanager`)
    .option('--concurrency <n>', `actions running at once, one per target at most (default: ${D.concurrency})`)
    .option('--shutdown-timeout <duration>', `how long running actions may finish on SIGTERM (default: ${D['shutdown-timeout']})`)
    .option('--remediation-window <duration>', `an alert that resolves within this after a policy's action succeeded counts as healed in homeostat_remediation_effective_total (default: ${D['remediation-window']})`)
    .option('--log-level <level>', `fatal, error, warn, info, debug or trace (default: ${D['log-level']})`)
    .option('--prometheus-url <url>', "where enrichment queries and minHealthy's PromQL source go, over homeostat.yaml's prometheus.url (its auth and timeout still apply)")
    .addHelpText('after', '\nEach flag is also an environment variable HOMEOSTAT_<FLAG> (e.g. HOMEOSTAT_DATA_DIR) and a key of --config;\na flag wins over the environment, which wins over the file. Endpoints: POST /api/v1/alerts, POST /api/v1/sync,\nGET /api/v1/status, GET /api/v1/actions, GET /api/v1/actions/:id, GET /api/v1/runs, POST /api/v1/schedules/:name/run, /healthz, /readyz, /metrics;\nthe web page at / (log in with the admin or viewer token). See docs/serve.md, docs/web.md and docs/schedules.md.')
    .action(async (o: Record<string, unknown>) => setExit(await serveCommand(o, io)));

  program
    .command('status')
    .description("a running engine's status: ready or why not, the policy revision it acts on, the last sync and the last failure, paused, queue and audit (exit 0 ready, 1 not ready, 2 unreachable)")
    .option('--url <url>', "the engine's HTTP API", 'http://127.0.0.1:9595')
    .option('--admin-token-file <file>', "the engine's admin token (or HOMEOSTAT_ADMIN_TOKEN, HOMEOSTAT_ADMIN_TOKEN_FILE)")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (o: StatusFlags) => setExit(await statusCommand(o, io)));

  const engineOptions = (command: Command) =>
    command
      .option('--url <url>', "the engine's HTTP API", 'http://127.0.0.1:9595')
      .option('--admin-token-file <file>', "the engine's admin token (or HOMEOSTAT_ADMIN_TOKEN, HOMEOSTAT_ADMIN_TOKEN_FILE)")
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  engineOptions(program.command('run').description('run a routine job (kind Schedule) of a running engine now, audited as a manual run (exit 1 if refused)').argument('<schedule>', 'the schedule name'))
    .option('--target <host>', 'only this one of its targets')
    .option('--by <who>', 'who asks, for the audit (default: your user name)')
    .action(async (name: string, o) => setExit(await runCommand(name, o, io)));
  engineOptions(program.command('runs').description("a running engine's routine job runs, newest first: outcome, due time, duration (the older ones read from its audit repository, a page at a time)").argument('[schedule]', 'only this schedule'))
    .option('--since <time>', 'only runs decided at or after this time (ISO 8601)')
    .option('--before <id>', 'only runs decided before this one: the next page, as the previous one says (more: ... --before ID)')
    .option('--limit <n>', 'at most this many (500 at most)', '100')
    .action(async (name: string | undefined, o) => setExit(await runsCommand(name, o, io)));

  const audit = program.command('audit').description('read and verify the audit trail of an engine (its --data-dir)');
  const auditCommon = (command: Command) =>
    command
      .option('--data-dir <dir>', "the engine's data directory; the audit repository is DIR/audit", './.homeostat')
      .option('--branch <branch>', 'the audit branch', 'main')
      .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'));
  auditCommon(audit.command('log').description('audit entries of actions, newest first'))
    .option('--policy <name>', 'only this policy')
    .option('--target <target>', 'only this target')
    .addOption(new Option('--outcome <outcome>', 'only entries with this outcome (pending: none yet)').choices(OUTCOME_FILTERS))
    .option('--since <time>', 'only entries created at or after this time (ISO 8601)')
    .option('--limit <n>', 'at most this many entries', '50')
    .action(async (o) => setExit(await auditLogCommand(o, io)));
  auditCommon(audit.command('show').description('one entry and the commits that wrote it').argument('<id>', 'the entry id (from audit log)')).action(async (id: string, o) =>
    setExit(await auditShowCommand(id, o, io)),
  );
  auditCommon(audit.command('verify').description('every journal entry is in git with the same content, and every file is a valid entry (exit 1 if not)')).action(async (o) =>
    setExit(await auditVerifyCommand(o, io)),
  );

  return program;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = build(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UserError) {
      io.stderr(`homeostat: ${escapeControl(error.message)}\n`);
      return error.exitCode;
    }
    io.stderr(`homeostat: internal error, please report it with the command you ran:\n${(error as Error).stack ?? String(error)}\n`);
    return EXIT.usage;
  }
}
