import type { Io } from '../io.js';
import { loadDirectory, readPayloadFile, requirePolicySet } from '../load.js';
import { EXIT, UserError } from '../errors.js';
import { line } from '../format/terminal.js';
import { Evaluator } from '../../policy/evaluate.js';
import { cliEnrichment } from '../prometheus.js';

interface ConditionNode {
  all?: ConditionNode[];
  any?: ConditionNode[];
  not?: ConditionNode;
  fact?: string;
  path?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
}

export interface ExplainedCondition {
  condition: string;
  factValue: unknown;
  result: boolean | null;
}

function flatten(node: ConditionNode, depth: number, out: (ExplainedCondition & { depth: number })[]): void {
  for (const group of ['all', 'any'] as const) {
    const children = node[group];
    if (children) {
      out.push({ depth, condition: `${group}:`, factValue: undefined, result: node.result ?? null });
      for (const child of children) flatten(child, depth + 1, out);
      return;
    }
  }
  if (node.not) {
    out.push({ depth, condition: 'not:', factValue: undefined, result: node.result ?? null });
    flatten(node.not, depth + 1, out);
    return;
  }
  const subject = node.path ? `${node.fact}.${node.path}` : String(node.fact);
  out.push({ depth, condition: `${subject} ${node.operator} ${JSON.stringify(node.value)}`, factValue: node.factResult, result: node.result ?? null });
}

export async function explainCommand(dir: string, flags: { alerts: string; policy?: string; prometheusUrl?: string }, format: string, io: Io): Promise<number> {
  const { result } = await loadDirectory(dir, io.cwd);
  const set = requirePolicySet(dir, result);
  if (flags.policy !== undefined && !set.policies.some((p) => p.name === flags.policy)) {
    throw new UserError(`--policy ${flags.policy}: no such policy in ${dir}; known: ${set.policies.map((p) => p.name).join(', ')}`);
  }
  const payload = readPayloadFile(flags.alerts, io.cwd);
  const evaluator = new Evaluator(set, cliEnrichment(set, flags.prometheusUrl));
  const report = [];
  for (const alert of payload.alerts) {
    const explained = await evaluator.explain(alert, flags.policy);
    report.push({
      alert: { fingerprint: alert.fingerprint, alertname: alert.alertname, status: alert.status },
      policies: explained.map(({ policy, result: r, indexed, enrichment }) => {
        const conditions: (ExplainedCondition & { depth: number })[] = [];
        flatten(r.conditions as unknown as ConditionNode, 0, conditions);
        // json-rules-engine records results on nested groups only; the top group is the rule's.
        if (conditions[0] && conditions[0].result === null) conditions[0].result = r.result;
        return { policy: policy.name, source: `${policy.source.file}:${policy.source.line}`, matched: r.result, indexed, conditions, ...(enrichment ? { enrichment: enrichment.records } : {}) };
      }),
    });
  }
  if (format === 'json') {
    io.stdout(JSON.stringify({ revision: set.revision, alerts: report }, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const a of report) {
    io.stdout(line`alert ${a.alert.alertname} [${a.alert.fingerprint}] ${a.alert.status}\n`);
    for (const p of a.policies) {
      io.stdout(line`  ${p.matched ? 'MATCH' : 'no   '} ${p.policy} (${p.source})\n`);
      for (const r of p.enrichment ?? []) io.stdout(line`      enrichment ${r.name ?? r.query}: ${r.error ?? JSON.stringify(r.value)}\n`);
      for (const c of p.conditions) {
        const mark = c.result === null ? '-' : c.result ? 'yes' : 'NO ';
        const value = c.factValue === undefined || c.condition.endsWith(':') ? '' : ` (value: ${JSON.stringify(c.factValue)})`;
        io.stdout(line`      ${'  '.repeat(c.depth)}${mark} ${c.condition}${value}\n`);
      }
    }
  }
  return EXIT.ok;
}
